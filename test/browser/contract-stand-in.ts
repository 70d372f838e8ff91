import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, normalize } from 'node:path';
import type { Duplex } from 'node:stream';
import { closeServer, listenOn } from '../../dev/loopback-server';
import { EXAMPLE_SPA_DIR } from '../../dev/demo-settings';
import { acceptWebSocket, type WebSocketEndpoint } from '../support/websocket-endpoint';

/** Where the stand-in's own step-up answer sends the user, as CONTRACT.md's step-up line spells it. */
export const STEP_UP = { acrValues: 'urn:example:loa:2fa', maxAge: 300 };

export interface ContractStandIn {
  /** `http://127.0.0.1:<port>`: pages, `/auth/*`, `/api/*` and WebSockets on one origin, as behind the BFF. */
  url: string;
  /** Every `/auth/login` query the stand-in received, in order. */
  logins: URLSearchParams[];
  /** Every WebSocket handshake it accepted, with the headers the browser sent. */
  handshakes: { path: string; origin: string | undefined }[];
  /** Ends "the session": every open socket is closed with 1008 and the reason code, as the contract says. */
  endSession(reason: string): void;
  /** Breaks every open socket's connection without a close frame (the browser sees 1006). */
  dropSockets(): void;
  stop(): Promise<void>;
}

/**
 * A stand-in for the lines of CONTRACT.md that this branch's BFF does not serve yet, speaking exactly those lines and
 * no more: `401 step_up_required` with its `login_url`, silent login's `bff_error` on the way back to `returnTo`, and
 * WebSockets closed with `1008` when the session ends. It has no sessions at all (`/auth/user` is always
 * `401 not_authenticated`). Tests that use it say so in their names; they move to the real BFF once it has these.
 */
export async function startContractStandIn(): Promise<ContractStandIn> {
  const logins: URLSearchParams[] = [];
  const handshakes: ContractStandIn['handshakes'] = [];
  const sockets = new Set<WebSocketEndpoint>();
  const server = createServer((request, response) => void answer(request, response, logins));
  server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    const origin = request.headers.origin;
    if (origin !== url) return refuse(socket, 403);
    handshakes.push({ path: request.url ?? '/', origin });
    const endpoint = acceptWebSocket(request, socket);
    sockets.add(endpoint);
    socket.once('close', () => sockets.delete(endpoint));
    endpoint.onText((text) => endpoint.sendText(`echo:${text}`));
  });
  const url = `http://127.0.0.1:${await listenOn(server, 0, '127.0.0.1')}`;
  return {
    url,
    logins,
    handshakes,
    endSession: (reason) => sockets.forEach((socket) => socket.close(1008, reason)),
    dropSockets: () => sockets.forEach((socket) => socket.drop()),
    stop: () => {
      sockets.forEach((socket) => socket.drop());
      return closeServer(server);
    },
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, logins: URLSearchParams[]): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  if (url.pathname === '/auth/user') return json(response, 401, authFailure('not_authenticated', '/'));
  if (url.pathname === '/auth/login') {
    logins.push(url.searchParams);
    return silentLoginAnswer(response, url.searchParams);
  }
  if (url.pathname === '/api/step-up') return json(response, 401, stepUpFailure(refererPath(request)));
  if (url.pathname === '/api/upstream-own-401') {
    // An upstream's own 401 passes the BFF unchanged, whatever it claims.
    return json(response, 401, { error: 'step_up_required', message: 'not the BFF', login_url: 'https://elsewhere.example/login' });
  }
  if (url.pathname.startsWith('/vendor/')) return vendorFile(response, url.pathname);
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><meta charset="utf-8"><title>contract stand-in</title>');
}

/** "Silent login": a `prompt=none` login the IdP answers `login_required` comes back to `returnTo` with `bff_error`. */
function silentLoginAnswer(response: ServerResponse, query: URLSearchParams): void {
  const returnTo = query.get('returnTo') ?? '/';
  if (query.get('prompt') !== 'none' || !returnTo.startsWith('/') || returnTo.startsWith('//')) {
    return json(response, 501, { error: 'not_in_stand_in', message: 'only prompt=none logins are stood in for' });
  }
  const back = new URL(returnTo, 'http://stand-in');
  back.searchParams.append('bff_error', 'login_required');
  response.writeHead(302, { location: `${back.pathname}${back.search}${back.hash}` }).end();
}

function stepUpFailure(page: string): Record<string, string> {
  const query = new URLSearchParams({ returnTo: page, acr_values: STEP_UP.acrValues, max_age: String(STEP_UP.maxAge) });
  return { error: 'step_up_required', message: 'This route needs a stronger sign-in.', login_url: `/auth/login?${query.toString()}` };
}

function authFailure(error: string, page: string): Record<string, string> {
  return { error, message: 'Sign in to continue.', login_url: `/auth/login?${new URLSearchParams({ returnTo: page }).toString()}` };
}

/** The BFF names "the page's path when known" from the same-origin Referer; so does the stand-in. */
function refererPath(request: IncomingMessage): string {
  const referer = request.headers.referer;
  if (!referer) return '/';
  const page = new URL(referer);
  return `${page.pathname}${page.search}`;
}

async function vendorFile(response: ServerResponse, path: string): Promise<void> {
  const relative = normalize(path).replace(/^\/+/, '');
  if (!relative.startsWith('vendor/') || !relative.endsWith('.js')) return json(response, 404, { error: 'not_found' });
  const body = await readFile(join(EXAMPLE_SPA_DIR, relative)).catch(() => undefined);
  if (body === undefined) return json(response, 404, { error: 'not_found' });
  response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }).end(body);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

function refuse(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
