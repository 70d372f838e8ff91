import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET } from '../../dev/idp/idp-clients';
import { bearerOf, startExchangeStack, type ExchangeStack } from '../support/exchange-stack';
import { KEY_LAYOUT } from '../support/scale-out-behaviour';
import { scanKeys, TEST_REDIS_URL } from '../support/test-redis';

describe('token exchange (RFC 8693) for bearer and client-credentials callers', () => {
  let stack: ExchangeStack;

  beforeAll(async () => {
    stack = await startExchangeStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('forwards a machine token exchanged for the route\'s audience and scope, once for 20 calls on two instances', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken('orders:read orders:write');
    stack.idp.resetCounters();
    const calls = await Promise.all(Array.from({ length: 20 }, (_, index) => stack.call(bearer(token), '/orders/1', index % 2 === 0 ? stack.publicUrl : stack.second.browserUrl)));
    expect(calls.map((call) => call.status)).toEqual(Array(20).fill(200));
    expect(stack.idp.counters.tokenExchanges).toBe(1);
    const exchanged = new Set(calls.map((call) => bearerOf(call.body)));
    expect(exchanged.size).toBe(1);
    const [minted = ''] = exchanged;
    expect(minted).not.toBe(token);
    expect(await stack.verifiedClaims(minted)).toMatchObject({ aud: 'api://orders', sub: MACHINE_CLIENT_ID, scope: 'orders:read' });
    expect(calls[0]?.body.headers['x-credential-identifier']).toBe(MACHINE_CLIENT_ID);
    // From memory on both instances from now on: not even a token-endpoint request.
    await Promise.all([stack.call(bearer(token), '/orders/2'), stack.call(bearer(token), '/orders/3', stack.second.browserUrl)]);
    expect(stack.idp.counters.tokenRequests).toBe(1);
  });

  it('exchanges again for another caller token, and for another route', async () => {
    const [first, second] = await Promise.all([stack.idp.issueClientCredentialsToken('orders:read'), stack.idp.issueClientCredentialsToken('orders:read')]);
    stack.idp.resetCounters();
    const a = await stack.call(bearer(first.access_token), '/orders/1');
    const b = await stack.call(bearer(second.access_token), '/orders/1');
    const c = await stack.call(bearer(first.access_token), '/invoices/1');
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(stack.idp.counters.exchangeTargets).toEqual(['api://orders', 'api://orders', 'api://invoices']);
    expect(new Set([a, b, c].map((call) => bearerOf(call.body))).size).toBe(3);
  });

  it('exchanges the token of a Kong-style client-credentials caller', async () => {
    const basic = `Basic ${Buffer.from(`${MACHINE_CLIENT_ID}:${MACHINE_CLIENT_SECRET}`).toString('base64')}`;
    const answer = await stack.call({ authorization: basic }, '/invoices/1');
    expect(answer.status).toBe(200);
    expect(await stack.verifiedClaims(bearerOf(answer.body))).toMatchObject({ aud: 'api://invoices', sub: MACHINE_CLIENT_ID });
  });

  it('answers 403 token_exchange_denied when the IdP refuses, forwarding nothing, and asks the IdP once for a while', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken('orders:read');
    const seen = stack.upstream.requests.length;
    stack.idp.resetCounters();
    const refusals = [await stack.call(bearer(token), '/forbidden/1'), await stack.call(bearer(token), '/forbidden/2')];
    expect(refusals.map((refusal) => [refusal.status, refusal.body.error])).toEqual(Array(2).fill([403, 'token_exchange_denied']));
    expect(stack.upstream.requests.length).toBe(seen);
    expect(stack.idp.counters.tokenErrors).toBe(1);
  });

  it('answers 403 when the route asks for a scope the caller\'s token does not have', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken('orders:write');
    expect(await stack.call(bearer(token), '/orders/1')).toMatchObject({ status: 403, body: { error: 'token_exchange_denied' } });
  });

  it('shares exchanged tokens through documented Redis keys that expire and hold neither token in the clear', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken('orders:read');
    const minted = bearerOf((await stack.call(bearer(token), '/invoices/1')).body);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const prefix = stack.app.redisPrefix;
      const keys = (await scanKeys(redis, prefix)).map((key) => key.slice(prefix.length));
      expect(keys.filter((key) => !KEY_LAYOUT.some(([, pattern]) => pattern.test(key)))).toEqual([]);
      const shared = keys.filter((key) => key.startsWith('x:'));
      expect(shared.length).toBeGreaterThan(0);
      for (const key of shared) {
        expect(await redis.pttl(prefix + key)).toBeGreaterThan(0);
        const sealed = (await redis.getBuffer(prefix + key))?.toString('latin1') ?? '';
        expect([sealed.includes(token), sealed.includes(minted), sealed.includes(minted.split('.')[1] ?? '-')]).toEqual([false, false, false]);
      }
    } finally {
      await redis.quit();
    }
  });
});

describe('token exchange with short-lived session tokens', () => {
  // Access tokens live 17 s and are refreshed when they expire within 15 s: due two seconds after each refresh.
  const DUE_AFTER_MS = 2_200;
  let stack: ExchangeStack;

  beforeAll(async () => {
    stack = await startExchangeStack({ TOKEN_REFRESH_SKEW: '15' }, { accessTokenTtlSeconds: 17 });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('refreshes the session, then exchanges its new token, round after round, with the rotated refresh token kept', async () => {
    const alice = await stack.signedIn('alice');
    stack.idp.resetCounters();
    const minted = new Set<string>();
    for (let round = 1; round <= 3; round += 1) {
      await sleep(DUE_AFTER_MS);
      const calls = await Promise.all([stack.call(alice, '/orders/1'), stack.call(alice, '/api/1', stack.second.browserUrl), stack.call(alice, '/orders/2', stack.second.browserUrl)]);
      expect(calls.map((call) => call.status)).toEqual([200, 200, 200]);
      minted.add(bearerOf(calls[0].body));
      expect([stack.idp.counters.refreshToken, stack.idp.counters.tokenExchanges]).toEqual([round, round]);
    }
    expect(minted.size).toBe(3);
  });
});
