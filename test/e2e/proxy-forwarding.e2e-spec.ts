import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Client } from 'undici';
import { sendJsonError } from '../../src/common/raw-json-response';
import type { Route } from '../../src/proxy/forwarding/route';
import { RouteTable } from '../../src/proxy/forwarding/route-table';
import { UpstreamClient } from '../../src/proxy/forwarding/upstream.client';
import type { UpstreamCaller } from '../../src/proxy/forwarding/identity-headers';
import { buildUpstreamHeaders } from '../../src/proxy/forwarding/upstream-headers';
import { startEchoUpstream, type EchoBody, type EchoUpstream } from '../support/echo-upstream';

const MB = 1024 * 1024;
const caller: UpstreamCaller = {
  bearer: 'upstream-access-token',
  identity: {
    consumer: { id: 'c0ffee00-0000-4000-8000-000000000001', username: 'alice', custom_id: 'okta|alice' },
    anonymous: false,
    credential: 'okta|alice',
    groups: ['admins', 'users'],
    headerClaims: { email: 'alice@example.com' },
  },
};

/** Stands in for the BFF: route, rewrite headers, forward. No Nest, no sessions. */
async function startProxy(table: RouteTable, client: UpstreamClient): Promise<Server> {
  const server = createServer((req, res) => {
    const found = table.match(req.url ?? '/');
    if (found === undefined) return sendJsonError(res, 404, 'not_found', 'No route.');
    if ('rejected' in found) return sendJsonError(res, 400, 'bad_path', 'The path is not allowed.');
    const headers = buildUpstreamHeaders(req.headers, {
      caller,
      sessionCookieName: 'bff-session',
      strippedCookies: ['__Host-bff-login*'],
      csrfHeader: 'x-csrf',
      claimHeaders: [{ claim: 'email', header: 'x-user-email' }],
      clientIp: req.socket.remoteAddress ?? '',
      proto: 'http',
      host: req.headers.host ?? '',
    });
    const { route, upstreamPath } = found;
    client.exchange(req, res, { origin: route.origin, budget: { name: route.path, connections: route.maxConnections }, path: upstreamPath, timeoutMs: route.timeoutMs, headers }, () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** An upstream that reports when its side of a request closes, and answers slowly or never. */
function startProbeUpstream(): { server: Server; received: string[]; closed: string[] } {
  const received: string[] = [];
  const closed: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received.push(req.url ?? '');
    res.once('close', () => closed.push(req.url ?? ''));
    if (req.url === '/drip') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('tick\n'), 20);
      res.once('close', () => clearInterval(timer));
    } else if (req.url === '/cookies') {
      res.writeHead(200, { 'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Secure'], 'content-length': '2', connection: 'keep-alive' });
      res.end('ok');
    } else if (req.url === '/chunked-reset') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial, with no length to betray the cut');
      setTimeout(() => res.socket?.destroy(), 20);
    } else if (req.url === '/early') {
      res.writeHead(413, { 'content-type': 'application/json' });
      res.end('{"error":"too_large"}');
    } // anything else: never answer
  });
  server.listen(0, '127.0.0.1');
  return { server, received, closed };
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return address.port;
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${portOf(server)}`;
}

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = portOf(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// RSS mostly measures garbage V8 has not collected yet; live buffer memory right after a collection does not.
setFlagsFromString('--expose-gc');
const gc: unknown = runInNewContext('gc');

function collectGarbage(): void {
  if (typeof gc !== 'function') throw new Error('gc() is not exposed');
  Reflect.apply(gc, undefined, []);
}

/** Samples live Buffer memory (after a full collection) while `work` runs; returns the largest growth seen. */
async function peakLiveBufferGrowth(work: () => Promise<void>): Promise<number> {
  const live = () => {
    collectGarbage();
    return process.memoryUsage().arrayBuffers;
  };
  const start = live();
  let peak = start;
  // A full collection costs more the bigger the heap, and a jest worker's heap grows with the files it ran before
  // this one: the next sample waits at least four times as long as the last one took, so collecting never takes
  // more than a fifth of the time and the transfer it measures keeps moving.
  let sampler: NodeJS.Timeout | undefined;
  const sample = (): void => {
    const began = performance.now();
    peak = Math.max(peak, live());
    sampler = setTimeout(sample, Math.max(10, 4 * (performance.now() - began)));
  };
  sampler = setTimeout(sample, 10);
  try {
    await work();
  } finally {
    clearTimeout(sampler);
  }
  return peak - start;
}

describe('proxy forwarding: route table, header rules and upstream client together', () => {
  let echo: EchoUpstream;
  let probe: ReturnType<typeof startProbeUpstream>;
  let sut: UpstreamClient;
  let proxy: Server;
  let browser: Client;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    echo = await startEchoUpstream();
    probe = startProbeUpstream();
    await once(probe.server, 'listening');
    // timeout_ms covers the whole exchange, uploads included: room for the 20 MB ones on a loaded machine.
    const route = (path: string, origin: string, overrides: Partial<Route> = {}): Route => ({
      ...{ path, origin, basePath: '', stripPath: true, auth: 'any', token: 'access', timeoutMs: 60_000, websocket: true, maxConnections: 128 },
      ...overrides,
    });
    const table = new RouteTable([
      route('/api', echo.url),
      route('/api/orders', echo.url, { basePath: '/orders-svc' }),
      route('/raw', echo.url, { stripPath: false }),
      route('/slow', echo.url, { timeoutMs: 200 }),
      route('/down', `http://127.0.0.1:${await closedPort()}`),
      route('/probe', urlOf(probe.server)),
    ]);
    sut = new UpstreamClient();
    proxy = await startProxy(table, sut);
    browser = new Client(urlOf(proxy), { bodyTimeout: 10_000 });
  });

  afterAll(async () => {
    await browser.close();
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    await sut.onApplicationShutdown();
    probe.server.closeAllConnections();
    await new Promise((resolve) => probe.server.close(resolve));
    await echo.stop();
  });

  async function echoed(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<EchoBody> {
    const response = await browser.request({ path, method: options.method ?? 'GET', headers: options.headers, body: options.body });
    expect(response.statusCode).toBe(200);
    return (await response.body.json()) as EchoBody;
  }

  it('passes method, stripped path, query and body through', async () => {
    const body = JSON.stringify({ hello: 'world' });
    const seen = await echoed('/api/things/7?x=1&y=a%20b&x=2', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body });
    expect(seen).toMatchObject({
      method: 'PATCH',
      path: '/things/7',
      query: { x: '2', y: 'a b' },
      bodyBytes: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(echo.requests.at(-1)?.url).toBe('/things/7?x=1&y=a%20b&x=2');
    expect(seen.headers['content-type']).toBe('application/json');
  });

  it('sends a GET without a body and answers HEAD without one', async () => {
    const seen = await echoed('/api/plain');
    expect(seen.headers).not.toHaveProperty('transfer-encoding');
    expect(seen.headers).not.toHaveProperty('content-length');
    const head = await browser.request({ path: '/api/download?bytes=1000', method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(await head.body.text()).toBe('');
  });

  it('lets the longest prefix win and honours strip_path and the base path', async () => {
    expect((await echoed('/api/orders/42')).path).toBe('/orders-svc/42');
    expect((await echoed('/api/ordersx')).path).toBe('/ordersx');
    expect((await echoed('/raw/a/b')).path).toBe('/raw/a/b');
    expect((await echoed('/api')).path).toBe('/');
  });

  it.each([
    '/api/orders/../../raw/secret',
    '/api/orders/%2e%2e/%2e%2e/raw/secret',
    '/api/orders/%2E%2e/x',
    '/api/..%2f..%2fraw',
    '/api/..%2F..%2Fraw',
    '/api\\..\\raw',
    '/api/%5c..%5craw',
    '/api/orders/..;/..;/raw',
    '/api/../../etc/passwd',
    '/api/a%00b',
  ])('answers 400 and forwards nothing for %s', async (path) => {
    const before = echo.requests.length;
    const response = await browser.request({ path, method: 'GET' });
    expect(response.statusCode).toBe(400);
    expect(await response.body.json()).toMatchObject({ error: 'bad_path' });
    expect(echo.requests.length).toBe(before);
  });

  it('forwards double encoding as a literal segment that cannot turn into ..', async () => {
    await echoed('/api/orders/%252e%252e/%252e%252e/raw');
    expect(echo.requests.at(-1)?.url).toBe('/orders-svc/%252e%252e/%252e%252e/raw');
  });

  it('streams a 20 MB upload without holding it in memory', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'upload-');
    const chunks = (20 * MB) / chunk.length;
    const hash = createHash('sha256');
    for (let i = 0; i < chunks; i += 1) hash.update(chunk);
    let seen: EchoBody | undefined;
    const growth = await peakLiveBufferGrowth(async () => {
      const body = Readable.from(repeat(chunk, chunks));
      const response = await browser.request({ path: '/api/upload', method: 'PUT', body });
      seen = (await response.body.json()) as EchoBody;
    });
    expect(seen).toMatchObject({ method: 'PUT', bodyBytes: 20 * MB, bodySha256: hash.digest('hex') });
    expect(seen?.headers['transfer-encoding']).toBe('chunked');
    // Streaming keeps well under 1 MB live here; holding the body shows up as ~20 MB.
    expect(growth).toBeLessThan(8 * MB);
  }, 90_000);

  it('keeps a declared content length on an upload', async () => {
    const body = Buffer.alloc(3 * MB, 'x');
    const seen = await echoed('/api/upload', { method: 'POST', headers: { 'content-length': String(body.length) }, body: body.toString() });
    expect(seen.bodyBytes).toBe(3 * MB);
    expect(seen.headers['content-length']).toBe(String(3 * MB));
  });

  it('streams a 20 MB download without holding it in memory', async () => {
    let received = 0;
    const growth = await peakLiveBufferGrowth(async () => {
      const response = await browser.request({ path: `/api/download?bytes=${20 * MB}`, method: 'GET' });
      expect(response.statusCode).toBe(200);
      for await (const chunk of response.body) if (Buffer.isBuffer(chunk)) received += chunk.length;
    });
    expect(received).toBe(20 * MB);
    // Streaming keeps well under 1 MB live here; holding the body shows up as ~20 MB.
    expect(growth).toBeLessThan(8 * MB);
  }, 90_000);

  it('delivers server-sent events as they happen, not when the stream ends', async () => {
    const started = Date.now();
    const response = await browser.request({ path: '/api/sse?events=3&intervalMs=200', method: 'GET' });
    expect(response.headers['content-type']).toBe('text/event-stream');
    const arrivals: { at: number; text: string }[] = [];
    for await (const chunk of response.body) arrivals.push({ at: Date.now() - started, text: String(chunk) });
    const ended = Date.now() - started;
    const first = arrivals.find(({ text }) => text.includes('id: 1'));
    expect(first).toBeDefined();
    expect(ended - first!.at).toBeGreaterThan(250);
    expect(arrivals.map(({ text }) => text).join('')).toMatch(/id: 3\nevent: tick\n/);
  });

  it('answers 502 JSON when the upstream refuses the connection', async () => {
    const response = await browser.request({ path: '/down/anything', method: 'GET' });
    expect(response.statusCode).toBe(502);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(await response.body.json()).toEqual({ error: 'upstream_unreachable', message: expect.any(String) as unknown });
  });

  it('answers 502 JSON to an upload too, and keeps the connection usable', async () => {
    const response = await browser.request({ path: '/down/upload', method: 'POST', body: Buffer.alloc(256 * 1024, 'u') });
    expect(response.statusCode).toBe(502);
    expect(await response.body.json()).toMatchObject({ error: 'upstream_unreachable' });
    expect((await echoed('/api/after-failure')).path).toBe('/after-failure');
  });

  it('answers 504 JSON when the upstream sends no headers within timeout_ms', async () => {
    const started = Date.now();
    const response = await browser.request({ path: '/slow/slow-headers?ms=800', method: 'GET' });
    expect(response.statusCode).toBe(504);
    expect(await response.body.json()).toMatchObject({ error: 'upstream_timeout' });
    expect(Date.now() - started).toBeLessThan(700);
  });

  it('still forwards a slow body once headers arrived in time', async () => {
    const response = await browser.request({ path: '/slow/slow-body?ms=100', method: 'GET' });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toMatchObject({ path: '/slow-body' });
  });

  it('cuts the client connection when the upstream fails mid-body', async () => {
    for (const path of ['/api/reset', '/probe/chunked-reset']) {
      const response = await browser.request({ path, method: 'GET' });
      expect(response.statusCode).toBe(200);
      await expect(response.body.text()).rejects.toThrow();
    }
  });

  it('cancels the upstream request when the client gives up before the response', async () => {
    const abort = new AbortController();
    const pending = browser.request({ path: '/probe/hang', method: 'GET', signal: abort.signal });
    await waitFor(() => probe.received.includes('/hang'));
    expect(probe.closed).not.toContain('/hang');
    abort.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => probe.closed.includes('/hang'));
  });

  it('cancels the upstream request when the client gives up mid-stream', async () => {
    const abort = new AbortController();
    const response = await browser.request({ path: '/probe/drip', method: 'GET', signal: abort.signal });
    expect(response.statusCode).toBe(200);
    await sleep(80);
    abort.abort();
    await waitFor(() => probe.closed.includes('/drip'));
  });

  it('passes upstream 4xx and 5xx answers through unchanged', async () => {
    for (const status of [404, 500]) {
      const response = await browser.request({ path: `/api/status/${status}`, method: 'GET' });
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toBe('application/json');
      expect(await response.body.json()).toEqual({ upstream: true, status });
    }
  });

  it('relays an answer the upstream gives before reading the upload, and keeps the connection usable', async () => {
    const response = await browser.request({ path: '/probe/early', method: 'POST', body: Buffer.alloc(4 * MB, 'e') });
    expect(response.statusCode).toBe(413);
    expect(await response.body.json()).toEqual({ error: 'too_large' });
    expect((await echoed('/api/after-early')).path).toBe('/after-early');
  });

  it('passes every set-cookie of the upstream through and drops its hop-by-hop headers', async () => {
    const response = await browser.request({ path: '/probe/cookies', method: 'GET' });
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Secure']);
    expect(await response.body.text()).toBe('ok');
  });

  it('replaces spoofed identity headers and hides the session cookie', async () => {
    const seen = await echoed('/api/whoami', {
      headers: {
        authorization: 'Bearer forged',
        'x-consumer-id': 'admin',
        'X-Consumer-Username': 'root',
        'x-authenticated-groups': 'superusers',
        'x-user-email': 'mallory@example.com',
        'x-forwarded-for': '10.9.9.9',
        'x-csrf': '1',
        cookie: 'bff-session=secret-session-id; theme=dark; __Host-bff-login.1=state',
      },
    });
    expect(seen.headers).toMatchObject({
      authorization: 'Bearer upstream-access-token',
      'x-consumer-id': caller.identity.consumer!.id,
      'x-consumer-username': 'alice',
      'x-consumer-custom-id': 'okta|alice',
      'x-credential-identifier': 'okta|alice',
      'x-authenticated-groups': 'admins, users',
      'x-user-email': 'alice@example.com',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': new URL(urlOf(proxy)).host,
      cookie: 'theme=dark',
    });
    expect(seen.headers).not.toHaveProperty('x-csrf');
  });
});

function* repeat(chunk: Buffer, times: number): Generator<Buffer> {
  for (let i = 0; i < times; i += 1) yield chunk;
}

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
