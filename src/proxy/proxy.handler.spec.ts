import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { identityWith } from '../../test/support/caller-identity';
import { sendRaw } from '../../test/support/raw-http';
import { routeFor } from '../../test/support/routes';
import { AppError } from '../common/app.error';
import { markAdminRequest } from '../common/plane';
import type { HttpConfig, ProxyConfig, SessionConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import type { Session } from '../session/session.types';
import type { CallerAuthenticator } from './caller/caller-authenticator';
import type { Caller } from './forwarding/caller';
import { ForwardingRules } from './forwarding/forwarding-rules';
import { RouteTable } from './forwarding/route-table';
import type { ForwardTarget, UpstreamClient, UpstreamOutcome } from './forwarding/upstream.client';
import { Tracing } from '../tracing/tracing';
import { TokenExchangeDenied } from '../token-exchange/exchange-failure';
import { exchangeTargetOf } from '../token-exchange/exchange-target';
import type { TokenExchanger } from '../token-exchange/token-exchanger';
import { UpstreamDpop } from './forwarding/upstream-dpop';
import { ProxyHandler } from './proxy.handler';

const ORIGIN = 'https://app.example.com';
const sessionCaller: Caller = {
  kind: 'session',
  identity: identityWith({ groups: ['staff'] }),
  bearer: 'at',
  session: { sessionId: 's'.repeat(43), session: {} as Session },
};
const tokenCaller: Caller = { kind: 'token', identity: identityWith({ groups: ['staff'] }), bearer: 'at', expiresAt: Date.now() + 60_000 };

type UpstreamAnswer = (target: ForwardTarget, res: ServerResponse) => void;
const ok: UpstreamAnswer = (target, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: target.path, headers: target.headers }));

interface Options {
  upstream?: UpstreamAnswer;
  cached?: Caller;
  authenticate?: () => Promise<Caller>;
  exchanger?: Partial<Record<keyof TokenExchanger, jest.Mock>>;
}

async function start(options: Options = {}) {
  const routes = new RouteTable([
    routeFor('/api', { auth: 'session' }),
    routeFor('/public', { auth: 'none' }),
    routeFor('/admins', { auth: 'session', groups: ['admins'] }),
    routeFor('/exchanged', { auth: 'session', tokenExchange: exchangeTargetOf({ audience: 'api://orders' }) }),
    routeFor('/exchanged-admins', { auth: 'session', groups: ['admins'], tokenExchange: exchangeTargetOf({ audience: 'api://orders' }) }),
  ]);
  const callers = {
    authenticateCached: jest.fn(() => options.cached),
    authenticate: jest.fn(options.authenticate ?? (() => Promise.resolve(sessionCaller))),
  };
  const upstream = {
    exchange: jest.fn((_req: IncomingMessage, res: ServerResponse, target: ForwardTarget, done: (outcome: UpstreamOutcome) => void) => {
      (options.upstream ?? ok)(target, res);
      done('2xx');
    }),
  };
  const metrics = new MetricsService();
  const rules = new ForwardingRules(
    { publicUrl: ORIGIN, secure: true, trustProxy: false } as HttpConfig,
    { cookieName: 'bff-session', csrfHeader: 'x-csrf' } as SessionConfig,
    { upstreamHeaders: [] } as unknown as ProxyConfig,
    options.exchanger as unknown as TokenExchanger,
    new UpstreamDpop(),
  );
  const sut = new ProxyHandler(routes, callers as unknown as CallerAuthenticator, upstream as unknown as UpstreamClient, metrics, rules, Tracing.off());
  const server: Server = createServer((req, res) => {
    if (req.headers['x-admin-plane']) markAdminRequest(req);
    res.writeHead(299).end('app');
  });
  // The admin plane is marked by its own listener; this test marks it from a header, ahead of the proxy.
  const mark = (req: IncomingMessage) => req.headers['x-admin-plane'] && markAdminRequest(req);
  server.prependListener('request', mark);
  sut.serveFirst(server);
  server.prependListener('request', mark);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init);
  // Raw, for what fetch will not send: methods it refuses, paths its URL parser would resolve first.
  const raw = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
      const sent = httpRequest(`${base}${path}`, { method, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      sent.on('error', reject).end();
    });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { base, get, raw, close, callers, upstream, metrics };
}

let stack: Awaited<ReturnType<typeof start>> | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('ProxyHandler', () => {
  it('leaves /auth, unmatched paths and the admin plane to the app', async () => {
    stack = await start();
    for (const path of ['/auth/login', '/auth', '/auth?x=1', '/elsewhere', '/']) expect((await stack.get(path)).status).toBe(299);
    expect((await stack.get('/api/orders', { headers: { 'x-admin-plane': '1' } })).status).toBe(299);
    expect(stack.upstream.exchange).not.toHaveBeenCalled();
  });

  it('refuses TRACE with 405 and Allow (TRACK, unknown to Node\'s parser, is answered by security/client-error)', async () => {
    stack = await start();
    const response = await sendRaw(stack.base, 'TRACE /api/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect([response.status, response.body]).toEqual([405, expect.any(String)]);
    expect(response.headers['allow']).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
  });

  it('answers a path with a matrix parameter 400 bad_path with the request id, never forwarding', async () => {
    stack = await start();
    const response = await stack.raw('GET', '/api;/x', { 'x-request-id': 'req-1' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'bad_path' });
    expect(response.headers['x-request-id']).toBe('req-1');
    expect(stack.upstream.exchange).not.toHaveBeenCalled();
  });

  it('forwards an auth: none route without authenticating', async () => {
    stack = await start();
    expect((await stack.get('/public/x')).status).toBe(200);
    expect(stack.callers.authenticateCached).not.toHaveBeenCalled();
    expect(stack.callers.authenticate).not.toHaveBeenCalled();
  });

  it('forwards a caller known from memory without the slow path, with its identity headers', async () => {
    stack = await start({ cached: sessionCaller });
    const body = (await (await stack.get('/api/orders?x=1')).json()) as { path: string; headers: Record<string, string> };
    expect(body.path).toBe('/orders?x=1');
    expect(body.headers).toMatchObject({ authorization: 'Bearer at', 'x-authenticated-groups': 'staff' });
    expect(stack.callers.authenticate).not.toHaveBeenCalled();
  });

  it('authenticates, then forwards, when the caller is not in memory', async () => {
    stack = await start();
    expect((await stack.get('/api/orders')).status).toBe(200);
    expect(stack.callers.authenticate).toHaveBeenCalledTimes(1);
    expect(stack.upstream.exchange).toHaveBeenCalledTimes(1);
  });

  it('answers an authentication failure as its JSON error with its headers and the request id', async () => {
    const refusal = new AppError(401, 'session_expired', 'Sign in again.', { headers: { 'set-cookie': 'bff-session=; Max-Age=0' }, body: { login_url: '/auth/login' } });
    stack = await start({ authenticate: () => Promise.reject(refusal) });
    const response = await stack.get('/api/orders', { headers: { 'x-request-id': 'req-2' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'session_expired', message: 'Sign in again.', login_url: '/auth/login' });
    expect(response.headers.get('set-cookie')).toBe('bff-session=; Max-Age=0');
    expect(response.headers.get('x-request-id')).toBe('req-2');
    expect(stack.upstream.exchange).not.toHaveBeenCalled();
  });

  it('answers a route rule refusal (403) without calling the upstream', async () => {
    stack = await start({ cached: sessionCaller });
    const response = await stack.get('/admins/panel');
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'insufficient_groups' });
    expect(stack.upstream.exchange).not.toHaveBeenCalled();
  });

  it('answers an unexpected failure 500 internal_error, with nothing of it in the answer', async () => {
    stack = await start({ authenticate: () => Promise.reject(new Error('secret-detail at /srv/x')) });
    const response = await stack.get('/api/orders');
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'internal_error', message: 'Internal server error.' });
    expect(text).not.toContain('secret-detail');
  });

  it('turns a session caller\'s RFC 9470 challenge into the step-up JSON; a token caller gets the upstream\'s 401', async () => {
    const challenge = 'Bearer error="insufficient_user_authentication", acr_values="urn:loa:2"';
    const upstream: UpstreamAnswer = (target, res) => {
      if (target.answerUnauthorized?.({ 'www-authenticate': challenge })) return;
      res.writeHead(401, { 'www-authenticate': challenge }).end();
    };
    stack = await start({ cached: sessionCaller, upstream });
    const session = await stack.get('/api/orders', { headers: { referer: `${ORIGIN}/orders` } });
    expect(session.status).toBe(401);
    expect(await session.json()).toMatchObject({ error: 'step_up_required', login_url: '/auth/login?returnTo=%2Forders&acr_values=urn%3Aloa%3A2' });
    await stack.close();

    stack = await start({ cached: tokenCaller, upstream });
    const token = await stack.get('/api/orders');
    expect(token.status).toBe(401);
    expect(token.headers.get('www-authenticate')).toBe(challenge);
  });

  it('counts each answered request once, by route and status', async () => {
    stack = await start({ cached: sessionCaller });
    await stack.get('/api/a');
    await stack.get('/admins/b');
    const counted = await stack.metrics.requests.get();
    const byStatus = Object.fromEntries(counted.values.map((sample) => [`${sample.labels.route} ${sample.labels.status}`, sample.value]));
    expect(byStatus).toEqual({ '/api 200': 1, '/admins 403': 1 });
  });

  it('forwards a route\'s exchanged token found in memory at once, and one exchanged on the way once it is made', async () => {
    const fromMemory = { cached: jest.fn(() => ({ accessToken: 'x-cached', expiresAt: Date.now() + 60_000 })), exchange: jest.fn() };
    stack = await start({ cached: sessionCaller, exchanger: fromMemory });
    const cached = (await (await stack.get('/exchanged/a')).json()) as { headers: Record<string, string> };
    expect([cached.headers['authorization'], fromMemory.exchange.mock.calls.length]).toEqual(['Bearer x-cached', 0]);
    await stack.close();

    const exchanging = { cached: jest.fn(() => undefined), exchange: jest.fn(() => Promise.resolve({ accessToken: 'x-new', expiresAt: Date.now() + 60_000 })) };
    stack = await start({ cached: sessionCaller, exchanger: exchanging });
    const made = (await (await stack.get('/exchanged/a')).json()) as { headers: Record<string, string> };
    expect(made.headers['authorization']).toBe('Bearer x-new');
    expect(exchanging.exchange).toHaveBeenCalledWith(sessionCaller, expect.objectContaining({ audience: 'api://orders' }));
  });

  it('answers a refused exchange 403 token_exchange_denied, and judges the route\'s rules before any exchange', async () => {
    const refusing = { cached: jest.fn(() => undefined), exchange: jest.fn(() => Promise.reject(new TokenExchangeDenied())) };
    stack = await start({ cached: sessionCaller, exchanger: refusing });
    const refused = await stack.get('/exchanged/a');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'token_exchange_denied' });
    expect(stack.upstream.exchange).not.toHaveBeenCalled();
    expect(await (await stack.get('/exchanged-admins/b')).json()).toMatchObject({ error: 'insufficient_groups' });
    expect(refusing.exchange).toHaveBeenCalledTimes(1);
  });
});
