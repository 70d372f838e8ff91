import { createServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../../dev/loopback-server';
import { waitFor } from '../../../test/support/wait-for';
import { ownCookiesOf } from './upstream-set-cookie';
import { UpstreamClient, type ForwardTarget, type UpstreamOutcome } from './upstream.client';

async function listen(handler: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  return { server, origin: `http://127.0.0.1:${await listenOnLoopback(server, 0)}` };
}

/** A BFF-side listener that sends every request through the UpstreamClient, and the outcomes it reported. */
async function proxyTo(origin: string, target: Partial<ForwardTarget> = {}) {
  const client = new UpstreamClient();
  const outcomes: UpstreamOutcome[] = [];
  /** Sees each client response before the exchange starts (a hook that answers the client itself needs it). */
  const responses: ((res: ServerResponse) => void)[] = [];
  const front = await listen((req: IncomingMessage, res: ServerResponse) => {
    for (const see of responses) see(res);
    const forward: ForwardTarget = { origin, budget: { name: '/api', connections: 4 }, path: req.url ?? '/', timeoutMs: 2000, headers: { host: 'upstream' }, ...target };
    client.exchange(req, res, forward, (outcome) => outcomes.push(outcome));
  });
  const close = async () => {
    await client.onApplicationShutdown();
    await closeServer(front.server);
  };
  return { url: front.origin, outcomes, responses, close };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function upstream(handler: RequestListener): Promise<string> {
  const { server, origin } = await listen(handler);
  closers.push(() => closeServer(server));
  return origin;
}

async function proxy(origin: string, target: Partial<ForwardTarget> = {}) {
  const front = await proxyTo(origin, target);
  closers.push(front.close);
  return front;
}

describe('UpstreamClient.exchange', () => {
  it('streams the body up and the answer down, adding its response headers unless the upstream sent them', async () => {
    const origin = await upstream((req, res) => {
      res.writeHead(201, { 'content-type': 'text/plain', 'x-request-id': 'from-upstream', 'x-seen-method': req.method ?? '' });
      req.pipe(res);
    });
    const front = await proxy(origin, { responseHeaders: { 'x-request-id': 'ours', 'x-extra': 'added' } });
    const body = 'x'.repeat(200_000);
    const response = await fetch(`${front.url}/echo`, { method: 'POST', body });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe(body);
    expect(response.headers.get('x-request-id')).toBe('from-upstream');
    expect(response.headers.get('x-extra')).toBe('added');
    expect(response.headers.get('x-seen-method')).toBe('POST');
    expect(front.outcomes).toEqual(['2xx']);
  });

  it('drops an upstream\'s Set-Cookie for the BFF\'s own cookies and keeps the others', async () => {
    const origin = await upstream((_req, res) => {
      res.writeHead(200, { 'set-cookie': ['bff-session=stolen; Path=/', 'bff-login-abc=x; Path=/', 'pref=dark; Path=/'] }).end();
    });
    const front = await proxy(origin, { ownCookies: ownCookiesOf('bff-session') });
    const response = await fetch(`${front.url}/`);
    expect(response.headers.getSetCookie()).toEqual(['pref=dark; Path=/']);
  });

  it('answers 504 upstream_timeout when no response head arrives within timeout_ms', async () => {
    const origin = await upstream(() => undefined);
    const front = await proxy(origin, { timeoutMs: 150, responseHeaders: { 'x-request-id': 'r1' } });
    const response = await fetch(`${front.url}/slow`);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: 'upstream_timeout' });
    expect(response.headers.get('x-request-id')).toBe('r1');
    expect(front.outcomes).toEqual(['timeout']);
  });

  it('answers 502 upstream_unreachable when nothing listens, naming no address', async () => {
    const { server, origin } = await listen(() => undefined);
    await closeServer(server);
    const front = await proxy(origin);
    const response = await fetch(`${front.url}/`);
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'upstream_unreachable' });
    expect(text).not.toContain('127.0.0.1');
    expect(front.outcomes).toEqual(['error']);
  });

  it('passes an upstream 401 through when answerUnauthorized declines it', async () => {
    const origin = await upstream((_req, res) => res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('upstream body'));
    const seen: string[] = [];
    const front = await proxy(origin, {
      answerUnauthorized: (headers) => {
        seen.push(String(headers['www-authenticate']));
        return false;
      },
    });
    const response = await fetch(`${front.url}/`);
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('upstream body');
    expect(seen).toEqual(['Bearer']);
  });

  it('lets answerUnauthorized replace an upstream 401, dropping the upstream\'s body', async () => {
    const origin = await upstream((_req, res) => res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('upstream body'));
    let answering: ServerResponse | undefined;
    const front = await proxy(origin, {
      answerUnauthorized: () => {
        answering?.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"ours"}');
        return true;
      },
    });
    front.responses.push((res) => (answering = res));
    const response = await fetch(`${front.url}/`);
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('{"error":"ours"}');
  });

  it('reports client_gone and frees the upstream when the client leaves before the answer', async () => {
    let upstreamGotIt = false;
    let upstreamSawClose = false;
    const origin = await upstream((req) => {
      upstreamGotIt = true;
      req.on('close', () => (upstreamSawClose = true));
    });
    const front = await proxy(origin, { timeoutMs: 5000 });
    const leaving = httpRequest(`${front.url}/long`);
    leaving.on('error', () => undefined).end();
    await waitFor(() => upstreamGotIt, Boolean, { what: 'the upstream to receive the request' });
    leaving.destroy();
    await waitFor(() => front.outcomes.length === 1 && upstreamSawClose, (done) => done, { what: 'the outcome and the upstream seeing the close' });
    expect(front.outcomes).toEqual(['client_gone']);
  });
});
