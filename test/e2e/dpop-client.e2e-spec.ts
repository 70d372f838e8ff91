import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET } from '../../dev/idp/idp-clients';
import { SessionStore } from '../../src/session/session.store';
import { dpopRequestVerifier, openProof, startDpopUpstream, type DpopUpstream, type DpopVerdict } from '../support/dpop-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { startTestApp, type TestApp } from '../support/test-app';
import type { TestBrowser } from '../support/test-browser';
import { opened, openWebSocket, roundTrip } from '../support/websocket-client';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

// Access tokens live 300 s and are refreshed when they expire within 295 s: due five seconds after login or a refresh,
// while a client-credentials token (reused until 30 s before it expires) lasts the whole run.
const TOKEN_TTL_SECONDS = 300;
const SKEW_SECONDS = 295;
const DUE_AFTER_MS = (TOKEN_TTL_SECONDS - SKEW_SECONDS) * 1000 + 200;
const BASIC = `Basic ${Buffer.from(`${MACHINE_CLIENT_ID}:${MACHINE_CLIENT_SECRET}`).toString('base64')}`;

/**
 * OIDC_DPOP=on against oidc-provider with DPoP nonces required (Okta's way): the IdP verifies every proof of the code
 * exchange, refresh, token exchange and client-credentials grants; the upstream verifies its own proofs
 * with node:crypto (dpop-upstream.ts). Two BFF instances share Redis, the database and the vault keys.
 */
describe('DPoP with the BFF as client (OIDC_DPOP=on)', () => {
  let stack: LoginStack;
  let upstream: DpopUpstream;
  let second: TestApp;
  let sockets: WebSocketUpstream;

  beforeAll(async () => {
    // The upstream checks tokens against the IdP's keys, so it needs the issuer: a placeholder until the IdP is up.
    const routesFile = join(tmpdir(), `bff-dpop-routes-${randomBytes(4).toString('hex')}.yaml`);
    const issuer = { value: '' };
    upstream = await startDpopUpstream(() => issuer.value);
    sockets = await startWebSocketUpstream();
    writeFileSync(
      routesFile,
      `routes:
  - path: /api
    upstream: ${upstream.url}
  - path: /orders
    upstream: ${upstream.url}
    token_exchange: { audience: 'api://orders', scope: 'orders:read' }
  - path: /cc
    upstream: ${upstream.url}
    auth: client_credentials
  - path: /live
    upstream: ${sockets.url}
    auth: session
`,
    );
    stack = await startLoginStack(
      {
        OIDC_DPOP: 'on',
        ROUTES_FILE: routesFile,
        OIDC_SCOPES: 'openid profile email offline_access orders:read',
        TOKEN_REFRESH_SKEW: String(SKEW_SECONDS),
        RATE_LIMIT_LOGIN: '1000/60',
      },
      { dpopNonces: true, accessTokenTtlSeconds: TOKEN_TTL_SECONDS },
    );
    issuer.value = stack.idp.issuer;
    second = await startTestApp({ ...stack.app.env, PORT: '0' }, { database: stack.app.database });
  });
  afterAll(async () => {
    await second.close();
    await stack.stop();
    await upstream.stop();
    await sockets.stop();
  });

  const call = async (browser: TestBrowser, path: string, init: { base?: string; method?: string; body?: string } = {}) => {
    const response = await fetch(`${init.base ?? stack.publicUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'x-csrf': '1', cookie: browser.cookieHeader(stack.publicUrl) ?? '', ...(init.body !== undefined && { 'content-type': 'text/plain' }) },
      ...(init.body !== undefined && { body: init.body }),
    });
    return { status: response.status, headers: response.headers, verdict: (await response.json()) as DpopVerdict };
  };

  it('logs in with proofs the IdP verified (after its nonce challenge) and sends the upstream a DPoP token with a proof it verifies', async () => {
    stack.idp.resetCounters();
    const alice = await stack.signedIn('alice');
    expect(stack.idp.counters.authorizationCode).toBe(1);
    // The first proof had no nonce: the IdP asked for one, and the retry carried it.
    expect(stack.idp.counters.dpopNonceChallenges).toBe(1);
    const user = await alice.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' });
    expect(user.status).toBe(200);

    const { status, verdict } = await call(alice, '/api/things?page=2');
    expect(status).toBe(200);
    expect(verdict).toMatchObject({ scheme: 'DPoP', method: 'GET', path: '/things?page=2', htu: `${upstream.url}/things` });
    expect(verdict.failure).toBeUndefined();
    expect(verdict.claims).toMatchObject({ sub: 'user-alice', client_id: 'bff', cnf: { jkt: verdict.jkt } });
  });

  it('keeps the IdP\'s nonce for the next session\'s login, and gives every session a key of its own', async () => {
    const alice = await stack.signedIn('alice');
    stack.idp.resetCounters();
    const bob = await stack.signedIn('bob');
    expect([stack.idp.counters.authorizationCode, stack.idp.counters.dpopNonceChallenges]).toEqual([1, 0]);
    const [fromAlice, fromBob] = [(await call(alice, '/api/a')).verdict, (await call(bob, '/api/b')).verdict];
    expect([fromAlice.failure, fromBob.failure]).toEqual([undefined, undefined]);
    expect(fromAlice.jkt).not.toBe(fromBob.jkt);
    // A fresh proof per call: a new jti each time, the same key.
    const again = (await call(alice, '/api/a')).verdict;
    expect(again.jkt).toBe(fromAlice.jkt);
    expect(again.jti).not.toBe(fromAlice.jti);
  });

  it('retries a GET once with the nonce an upstream demands, passes a POST\'s challenge through, and uses the nonce afterwards', async () => {
    const carol = await stack.signedIn('carol');
    const nonce = upstream.demandNonce();
    const before = upstream.verdicts.length;
    const get = await call(carol, '/api/x');
    expect(get.status).toBe(200);
    expect(upstream.verdicts.slice(before).map((verdict) => [verdict.failure, verdict.nonce])).toEqual([
      ['use_dpop_nonce', undefined],
      [undefined, nonce],
    ]);

    const renewed = upstream.demandNonce();
    const post = await call(carol, '/api/x', { method: 'POST', body: 'payload' });
    expect(post.status).toBe(401);
    expect(post.headers.get('www-authenticate')).toContain('use_dpop_nonce');
    const retried = await call(carol, '/api/x', { method: 'POST', body: 'payload' });
    expect(retried.status).toBe(200);
    expect(retried.verdict).toMatchObject({ nonce: renewed, bodyBytes: 7 });
  });

  it('exchanges a session\'s token with a proof, and the route\'s token is bound to the session\'s key too', async () => {
    const alice = await stack.signedIn('alice');
    const own = (await call(alice, '/api/own')).verdict;
    const orders = await call(alice, '/orders/1');
    expect(orders.status).toBe(200);
    expect(orders.verdict.failure).toBeUndefined();
    expect(orders.verdict.claims).toMatchObject({ aud: 'api://orders', sub: 'user-alice', cnf: { jkt: own.jkt } });
  });

  it('binds a client-credentials caller\'s token to a key shared with the other instance through Redis', async () => {
    const first = await fetch(`${stack.publicUrl}/cc/jobs`, { headers: { authorization: BASIC } });
    const other = await fetch(`${second.browserUrl}/cc/jobs`, { headers: { authorization: BASIC } });
    const [one, two] = [(await first.json()) as DpopVerdict, (await other.json()) as DpopVerdict];
    expect([first.status, other.status]).toEqual([200, 200]);
    expect(one.claims).toMatchObject({ client_id: MACHINE_CLIENT_ID, cnf: { jkt: one.jkt } });
    expect(two.jkt).toBe(one.jkt);
    expect(two.claims?.jti).toBe(one.claims?.jti);
  });

  it('refreshes once for a storm of calls over both instances, with a proof, and the new token keeps the session\'s key', async () => {
    const bob = await stack.signedIn('bob');
    const before = (await call(bob, '/api/before')).verdict;
    await sleep(DUE_AFTER_MS);
    stack.idp.resetCounters();
    const calls = await Promise.all(Array.from({ length: 24 }, (_, index) => call(bob, `/api/storm/${index}`, { base: index % 2 === 0 ? stack.publicUrl : second.browserUrl })));
    expect(calls.map((one) => one.status)).toEqual(Array(24).fill(200));
    expect(stack.idp.counters.refreshToken).toBe(1);
    const tokens = new Set(calls.map((one) => one.verdict.claims?.jti));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before.claims?.jti)).toBe(false);
    expect(new Set(calls.map((one) => one.verdict.jkt))).toEqual(new Set([before.jkt]));
    expect(calls.every((one) => one.verdict.failure === undefined)).toBe(true);
  });

  it('logs out with the refresh token revoked, the revocation carrying a proof by the session\'s key', async () => {
    const carol = await stack.signedIn('carol');
    const { jkt } = (await call(carol, '/api/before')).verdict;
    const { body } = await carol.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' });
    stack.idp.resetCounters();
    const response = await carol.get(`${stack.publicUrl}${String((JSON.parse(body) as Record<string, unknown>)['logoutUrl'])}`);
    expect(response.status).toBe(302);
    expect(stack.idp.counters.revocations).toBe(1);
    const proof = openProof(stack.idp.counters.revocationProofs[0] ?? '');
    expect(proof).toMatchObject({ jkt, payload: { htm: 'POST', htu: `${stack.idp.issuer}/token/revocation` } });
    expect((await call(carol, '/api/after')).status).toBe(401);
  });

  it('sends a WebSocket handshake a proof for GET at the upstream\'s http URL', async () => {
    const alice = await stack.signedIn('alice');
    const socket = opened(await openWebSocket(`${stack.publicUrl.replace('http', 'ws')}/live/feed?room=1`, { origin: stack.publicUrl, cookie: alice.cookieHeader(stack.publicUrl) }));
    expect((await roundTrip(socket.socket, 'ping')).toString()).toBe('ping');
    socket.socket.close();
    const handshake = sockets.handshakes.at(-1) ?? {};
    const verdict = await dpopRequestVerifier(() => stack.idp.issuer)('GET', '/feed?room=1', handshake, sockets.url);
    expect(verdict).toMatchObject({ scheme: 'DPoP', htu: `${sockets.url}/feed`, claims: { sub: 'user-alice' } });
    expect(verdict.failure).toBeUndefined();
  });

  it('goes on sending Bearer tokens for a session stored without a key (before OIDC_DPOP=on)', async () => {
    const bob = await stack.signedIn('bob');
    const store = stack.app.app.get(SessionStore);
    const lookup = await store.lookup(bob.cookies(stack.publicUrl)['bff-session'] ?? '');
    if (lookup.status !== 'active') throw new Error('login left no session');
    const { dpopKey, ...before } = lookup.session.contents;
    expect(dpopKey).toBeDefined();
    const { sessionId } = await store.create(before);
    const response = await fetch(`${stack.publicUrl}/api/old`, { headers: { 'x-csrf': '1', cookie: `bff-session=${sessionId}` } });
    const verdict = (await response.json()) as DpopVerdict;
    // The upstream here insists on DPoP; what matters is what the BFF sent it.
    expect(verdict).toMatchObject({ scheme: 'Bearer', failure: 'not a DPoP request' });
    expect(upstream.verdicts.at(-1)).toMatchObject({ path: '/old', scheme: 'Bearer' });
  });
});
