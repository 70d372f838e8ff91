import { setTimeout as sleep } from 'node:timers/promises';
import { bearerOf, startExchangeStack, type ExchangeStack } from '../support/exchange-stack';
import { opened, openWebSocket } from '../support/websocket-client';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

// Exchanged tokens live 20 s and are exchanged again when they expire within 15 s: due five seconds after they are
// minted, and fresh for those five seconds, enough for a burst of calls to finish even on a loaded machine.
const EXCHANGED_TTL_SECONDS = 20;
const SKEW_SECONDS = 15;
const DUE_AFTER_MS = (EXCHANGED_TTL_SECONDS - SKEW_SECONDS) * 1000 + 200;

describe('token exchange (RFC 8693) for session callers', () => {
  let stack: ExchangeStack;

  beforeAll(async () => {
    stack = await startExchangeStack({ TOKEN_REFRESH_SKEW: String(SKEW_SECONDS) }, { exchangedTokenTtlSeconds: EXCHANGED_TTL_SECONDS });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('gives each route\'s upstream a token minted for its own audience and scope, never the caller\'s nor another route\'s', async () => {
    const alice = await stack.signedIn('alice');
    const own = bearerOf((await stack.call(alice, '/api/x')).body);
    const orders = await stack.call(alice, '/orders/1');
    const invoices = await stack.call(alice, '/invoices/1');
    expect([orders.status, invoices.status]).toEqual([200, 200]);
    const [ordersToken, invoicesToken] = [bearerOf(orders.body), bearerOf(invoices.body)];
    expect(new Set([own, ordersToken, invoicesToken]).size).toBe(3);
    expect(await stack.verifiedClaims(ordersToken)).toMatchObject({ aud: 'api://orders', sub: 'user-alice', scope: 'orders:read', client_id: 'bff' });
    expect((await stack.verifiedClaims(invoicesToken)).aud).toBe('api://invoices');
    expect(await stack.verifiedClaims(own)).toMatchObject({ aud: 'api://default' });
    // The identity headers are the caller's, as on any route.
    expect(orders.body.headers).toMatchObject({ 'x-credential-identifier': 'user-alice', 'x-authenticated-groups': 'admins, users' });
  });

  it('makes one exchange for 20 concurrent calls spread over two instances, then serves the route from the vault', async () => {
    const bob = await stack.signedIn('bob');
    stack.idp.resetCounters();
    const calls = await Promise.all(Array.from({ length: 20 }, (_, index) => stack.call(bob, '/orders/x', index % 2 === 0 ? stack.publicUrl : stack.second.browserUrl)));
    expect(calls.map((call) => call.status)).toEqual(Array(20).fill(200));
    expect(stack.idp.counters.tokenExchanges).toBe(1);
    expect(new Set(calls.map((call) => bearerOf(call.body))).size).toBe(1);
    const again = await Promise.all([stack.call(bob, '/orders/y'), stack.call(bob, '/orders/z', stack.second.browserUrl)]);
    expect(again.map((call) => call.status)).toEqual([200, 200]);
    expect([stack.idp.counters.tokenExchanges, stack.idp.counters.tokenRequests]).toEqual([1, 1]);
  });

  it('exchanges once more when the exchanged token is due, however many calls arrive', async () => {
    const carol = await stack.signedIn('carol');
    const first = bearerOf((await stack.call(carol, '/orders/1')).body);
    await sleep(DUE_AFTER_MS);
    stack.idp.resetCounters();
    const calls = await Promise.all(Array.from({ length: 20 }, (_, index) => stack.call(carol, '/orders/2', index % 2 === 0 ? stack.publicUrl : stack.second.browserUrl)));
    expect(calls.map((call) => call.status)).toEqual(Array(20).fill(200));
    expect(stack.idp.counters.tokenExchanges).toBe(1);
    const renewed = new Set(calls.map((call) => bearerOf(call.body)));
    expect(renewed.size).toBe(1);
    expect(renewed.has(first)).toBe(false);
  });

  it('ends the exchanged tokens with the session: after logout and a new login, the route is exchanged again', async () => {
    const alice = await stack.signedIn('alice');
    const before = bearerOf((await stack.call(alice, '/invoices/1')).body);
    const user = JSON.parse((await alice.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' })).body) as { logoutUrl: string };
    await alice.get(`${stack.publicUrl}${user.logoutUrl}`);
    expect((await stack.call(alice, '/invoices/1', stack.second.browserUrl)).status).toBe(401);
    const again = await stack.signedIn('alice');
    stack.idp.resetCounters();
    const after = await stack.call(again, '/invoices/1');
    expect(after.status).toBe(200);
    expect(stack.idp.counters.tokenExchanges).toBe(1);
    expect(bearerOf(after.body)).not.toBe(before);
  });

  it('answers 403 token_exchange_denied when the IdP refuses, forwarding nothing', async () => {
    const bob = await stack.signedIn('bob');
    const seen = stack.upstream.requests.length;
    const refused = await stack.call(bob, '/forbidden/x');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'token_exchange_denied' });
    expect(stack.upstream.requests.length).toBe(seen);
  });

  it('judges the route\'s groups on the caller before asking the IdP for anything', async () => {
    const bob = await stack.signedIn('bob');
    stack.idp.resetCounters();
    const refused = await stack.call(bob, '/admins-orders/x');
    expect(refused).toMatchObject({ status: 403, body: { error: 'insufficient_groups' } });
    expect(stack.idp.counters.tokenRequests).toBe(0);
  });

  it('keeps forwarding a token exchanged before the IdP went down, and answers 503 for a route not exchanged yet', async () => {
    const carol = await stack.signedIn('carol');
    const cached = bearerOf((await stack.call(carol, '/orders/1')).body);
    const seen = stack.upstream.requests.length;
    await stack.idp.stop();
    try {
      const still = await stack.call(carol, '/orders/2');
      expect([still.status, bearerOf(still.body)]).toEqual([200, cached]);
      const unreachable = await stack.call(carol, '/invoices/1');
      expect(unreachable).toMatchObject({ status: 503, body: { error: 'idp_unavailable' } });
      expect(stack.upstream.requests.length).toBe(seen + 1);
    } finally {
      await stack.idp.restart();
    }
  });

  describe('WebSockets', () => {
    let sockets: WebSocketUpstream;
    let routes: ExchangeStack;

    beforeAll(async () => {
      sockets = await startWebSocketUpstream();
      routes = await startExchangeStack({}, {}, sockets.url);
    });
    afterAll(async () => {
      await routes.stop();
      await sockets.stop();
    });

    it('sends the upstream\'s handshake the token exchanged for the route, as any call', async () => {
      const alice = await routes.signedIn('alice');
      const socket = opened(await openWebSocket(`${routes.publicUrl}/orders/feed`, { origin: routes.publicUrl, cookie: alice.cookieHeader(routes.publicUrl) }));
      socket.socket.close();
      const token = String(sockets.handshakes.at(-1)?.authorization).replace(/^Bearer /, '');
      expect(await routes.verifiedClaims(token)).toMatchObject({ aud: 'api://orders', sub: 'user-alice', scope: 'orders:read' });
      const refused = await openWebSocket(`${routes.publicUrl}/forbidden/feed`, { origin: routes.publicUrl, cookie: alice.cookieHeader(routes.publicUrl) });
      expect(refused).toMatchObject({ kind: 'refused', status: 403, body: { error: 'token_exchange_denied' } });
      expect(sockets.handshakes).toHaveLength(1);
    });
  });
});
