import type { ServerResponse } from 'node:http';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

/** What an upstream's own `401` may claim; the BFF passes it unchanged, so the client must not follow it off-site. */
export const UPSTREAMS_OWN_STEP_UP = { error: 'step_up_required', message: 'not the BFF', login_url: 'https://elsewhere.example/login' };

export interface ClientTestUpstream {
  upstream: WebSocketUpstream;
  /** Route-file entries behind the demo's: `/api/echo` (a WebSocket echo) and `/api/upstream-own-401`. */
  routes: string;
}

/** A real upstream behind the real BFF for what the demo API does not do: echo verbatim, drop sockets, answer its own 401. */
export async function startClientTestUpstream(): Promise<ClientTestUpstream> {
  const upstream = await startWebSocketUpstream((request, response) => {
    request.resume();
    ownStepUp(response);
  });
  const routes = ['/api/echo', '/api/upstream-own-401']
    .flatMap((path) => [`  - path: ${path}`, `    upstream: ${upstream.url}`, '    auth: session'])
    .join('\n');
  return { upstream, routes: `${routes}\n` };
}

function ownStepUp(response: ServerResponse): void {
  response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify(UPSTREAMS_OWN_STEP_UP));
}
