import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { Client } from 'undici';
import { sendJsonError } from '../../src/common/raw-json-response';
import type { Route } from '../../src/proxy/forwarding/route';
import { RouteTable } from '../../src/proxy/forwarding/route-table';
import { UpstreamClient } from '../../src/proxy/forwarding/upstream.client';
import type { UpstreamCaller } from '../../src/proxy/forwarding/identity-headers';
import { buildUpstreamHeaders } from '../../src/proxy/forwarding/upstream-headers';
import { startEchoUpstream, type EchoBody, type EchoUpstream } from '../support/echo-upstream';
import { waitFor } from '../support/wait-for';

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

interface ProbeUpstream {
  server: Server;
  received: string[];
  closed: string[];
  /** Body bytes of `/upload` read so far. */
  uploaded(): number;
  /** Lets `/events` send its second event and `/download` the rest of its body. */
  release(): void;
}

/**
 * An upstream that reports when its side of a request closes, and answers slowly or never. `/events` and `/download`
 * send a first part, then the rest only once the test calls `release()`, which it does when the first part has
 * reached the client: a proxy that held the whole answer back would never let it be called. `/upload` counts the body
 * as it arrives, so a test can hold back the rest of an upload until the upstream has seen its start.
 */
function startProbeUpstream(): ProbeUpstream {
  const received: string[] = [];
  const closed: string[] = [];
  const gate = Promise.withResolvers<void>();
  let uploaded = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received.push(req.url ?? '');
    res.once('close', () => closed.push(req.url ?? ''));
    if (req.url === '/upload') {
      const hash = createHash('sha256');
      req.on('data', (chunk: Buffer) => {
        uploaded += chunk.length;
        hash.update(chunk);
      });
      req.once('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bodyBytes: uploaded, bodySha256: hash.digest('hex'), transferEncoding: req.headers['transfer-encoding'] }));
      });
    } else if (req.url === '/download') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BODY) });
      void writeBody(res, FIRST_PART).then(() => gate.promise).then(() => writeBody(res, BODY - FIRST_PART)).then(() => res.end());
    } else if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('id: 1\nevent: tick\ndata: first\n\n');
      void gate.promise.then(() => res.end('id: 2\nevent: tick\ndata: second\n\n'));
    } else if (req.url === '/drip') {
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
  return { server, received, closed, uploaded: () => uploaded, release: () => gate.resolve() };
}

/** Writes `bytes` with backpressure: waits for the socket to drain rather than queue the body in memory. */
async function writeBody(res: ServerResponse, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 'download-');
  for (let left = bytes; left > 0 && !res.destroyed; left -= chunk.length) {
    if (!res.write(chunk.subarray(0, Math.min(left, chunk.length)))) await once(res, 'drain');
  }
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

/** Streamed bodies: large enough that no buffer on the way holds one whole by accident. */
const BODY = 40 * MB;
/** What one side sends before it waits for the other side to have seen the start. */
const FIRST_PART = 8 * MB;

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
    // timeout_ms covers the whole exchange, uploads included: room for the large ones on a loaded machine.
    const route = (path: string, origin: string, overrides: Partial<Route> = {}): Route => ({
      ...{ path, origin, basePath: '', stripPath: true, auth: 'any', token: 'access', timeoutMs: 60_000, websocket: true, maxConnections: 128, dpop: 'off' },
      ...overrides,
    });
    const table = new RouteTable([
      route('/api', echo.url),
      route('/api/orders', echo.url, { basePath: '/orders-svc' }),
      route('/raw', echo.url, { stripPath: false }),
      route('/slow', echo.url, { timeoutMs: 200 }),
      route('/stalled', urlOf(probe.server), { timeoutMs: 200 }),
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

  /**
   * A long transfer on a connection of its own: the shared one may sit idle long enough on a loaded machine for the
   * server's keep-alive timeout to close it just as a request is written on it (a race of the test's own making).
   */
  async function onFreshConnection<T>(transfer: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client(urlOf(proxy), { bodyTimeout: 0 });
    try {
      return await transfer(client);
    } finally {
      await client.close();
    }
  }

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

  it('streams a 40 MB upload: the upstream reads its start before the client sends the rest', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'upload-');
    const hash = createHash('sha256');
    async function* body(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < BODY; sent += chunk.length) {
        // A proxy that held the body back until its end would never pass this point.
        if (sent === FIRST_PART) await waitFor(() => probe.uploaded(), (bytes) => bytes > 0, { what: 'the upstream to read the start of the upload' });
        hash.update(chunk);
        yield chunk;
      }
    }
    const seen = await onFreshConnection(async (client) => {
      const response = await client.request({ path: '/probe/upload', method: 'PUT', body: Readable.from(body()) });
      return (await response.body.json()) as { bodyBytes: number; bodySha256: string; transferEncoding?: string };
    });
    expect(seen).toEqual({ bodyBytes: BODY, bodySha256: hash.digest('hex'), transferEncoding: 'chunked' });
  });

  it('keeps a declared content length on an upload', async () => {
    const body = Buffer.alloc(3 * MB, 'x');
    const seen = await echoed('/api/upload', { method: 'POST', headers: { 'content-length': String(body.length) }, body: body.toString() });
    expect(seen.bodyBytes).toBe(3 * MB);
    expect(seen.headers['content-length']).toBe(String(3 * MB));
  });

  it('streams a 40 MB download: the client reads its start before the upstream sends the rest', async () => {
    let received = 0;
    await onFreshConnection(async (client) => {
      const response = await client.request({ path: '/probe/download', method: 'GET' });
      expect(response.statusCode).toBe(200);
      for await (const chunk of response.body) {
        if (!Buffer.isBuffer(chunk)) continue;
        // The upstream sends the rest only now: a proxy that held the answer back until its end would stall here.
        if (received === 0) probe.release();
        received += chunk.length;
      }
    });
    expect(received).toBe(BODY);
  });

  it('delivers server-sent events as they happen, not when the stream ends', async () => {
    const response = await browser.request({ path: '/probe/events', method: 'GET' });
    expect(response.headers['content-type']).toBe('text/event-stream');
    let text = '';
    for await (const chunk of response.body) {
      text += String(chunk);
      // The upstream sends the second event only once the first has reached the client: buffering would stall here.
      if (text.includes('data: first')) probe.release();
    }
    expect(text).toBe('id: 1\nevent: tick\ndata: first\n\nid: 2\nevent: tick\ndata: second\n\n');
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
    const started = performance.now();
    // The probe never answers: a 504 at all is the proxy's own timeout.
    const response = await browser.request({ path: '/stalled/never', method: 'GET' });
    expect(response.statusCode).toBe(504);
    expect(await response.body.json()).toMatchObject({ error: 'upstream_timeout' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
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
    await waitFor(() => probe.received.includes('/hang'), Boolean, { what: 'the upstream to receive the request' });
    expect(probe.closed).not.toContain('/hang');
    abort.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => probe.closed.includes('/hang'), Boolean, { what: 'the upstream request to be cancelled' });
  });

  it('cancels the upstream request when the client gives up mid-stream', async () => {
    const abort = new AbortController();
    const response = await browser.request({ path: '/probe/drip', method: 'GET', signal: abort.signal });
    expect(response.statusCode).toBe(200);
    const body = response.body[Symbol.asyncIterator]();
    expect(String((await body.next()).value)).toContain('tick');
    abort.abort();
    await waitFor(() => probe.closed.includes('/drip'), Boolean, { what: 'the upstream request to be cancelled' });
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

