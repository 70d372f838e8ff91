import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOn } from './loopback-server';
import { summarizeAuthorization, type BearerSummary } from './access-token-summary';
import { serveLiveFeed } from './demo-live-feed';

/** The demo API's answer: what reached it through the BFF, with the bearer token summarized, never echoed. */
export interface DemoApiAnswer {
  service: 'demo-upstream';
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: BearerSummary | null;
  identity: Record<string, string>;
  forwarded: Record<string, string>;
  /** Names only: the BFF's session cookie must not be among them. */
  cookieNames: string[];
  headerNames: string[];
}

export interface DemoUpstream {
  url: string;
  stop(): Promise<void>;
}

const IDENTITY = ['x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-credential-identifier', 'x-authenticated-groups', 'x-user-email'];
const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];

export async function startDemoUpstream(port = 0, host = '127.0.0.1'): Promise<DemoUpstream> {
  const server = createServer((request, response) => answer(request, response));
  const live = serveLiveFeed(server);
  const bound = await listenOn(server, port, host);
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${bound}`,
    stop: async () => {
      live.stop();
      await closeServer(server);
    },
  };
}

function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  const url = new URL(request.url ?? '/', 'http://upstream');
  const body: DemoApiAnswer = {
    service: 'demo-upstream',
    method: request.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    authorization: summarizeAuthorization(request.headers.authorization),
    identity: pick(request.headers, IDENTITY),
    forwarded: pick(request.headers, FORWARDED),
    cookieNames: cookieNames(request.headers.cookie),
    headerNames: Object.keys(request.headers).sort(),
  };
  const payload = JSON.stringify(body, null, 2);
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  response.end(payload);
}

function pick(headers: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) picked[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return picked;
}

function cookieNames(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(';').map((pair) => pair.split('=', 1)[0]?.trim() ?? '').filter(Boolean);
}
