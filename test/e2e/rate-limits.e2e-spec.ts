import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { loadAppConfig } from '../../src/config/app-config';
import { MetricsService } from '../../src/metrics/metrics.service';
import { RedisConnection } from '../../src/redis/redis.connection';
import { RedisThrottlerStorage } from '../../src/throttle/redis-throttler.storage';
import { delta, MetricsScrape } from '../support/metrics-scrape';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { startTestApp, type TestApp } from '../support/test-app';
import { baseEnv, TEST_ADMIN_TOKEN } from '../support/test-env';
import { keysUnder, TEST_REDIS_URL, uniqueRedisPrefix, dropKeysUnder } from '../support/test-redis';

const THROTTLED = 'bff_throttled_requests_total';
const RIGHT_TOKEN = `Bearer ${TEST_ADMIN_TOKEN}`;
const WRONG_TOKEN = 'Bearer wrong-admin-token-wrong-admin-token-00';

let nextAddress = 10;
/** A client address of its own per test (TRUST_PROXY=loopback makes the BFF believe X-Forwarded-For from the test). */
function client(): { 'x-forwarded-for': string } {
  nextAddress += 1;
  return { 'x-forwarded-for': `203.0.113.${nextAddress}` };
}

async function expectTooMany(response: Response, maxRetryAfter: number): Promise<void> {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxRetryAfter).toBe(true);
  expect(await response.json()).toEqual({ error: 'too_many_requests', message: expect.stringMatching(/^Too many requests/) as unknown });
}

// First, so that the reconnect timers of its Redis client have run out by the end of the file.
describe('rate limits without Redis', () => {
  it('lets every request through, and logs why, while Redis is unreachable', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    let noRedis: TestApp | undefined;
    try {
      noRedis = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_ADMIN: '1/60', REDIS_COMMAND_TIMEOUT_MS: '300' });
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        expect((await fetch(`${noRedis.adminUrl}/consumers`, { headers: { authorization: RIGHT_TOKEN } })).status).toBe(200);
        expect((await fetch(`${noRedis.adminUrl}/consumers`, { headers: { authorization: WRONG_TOKEN } })).status).toBe(401);
      }
      expect(warn.mock.calls.some(([, message]) => message === 'rate limit not enforced: Redis is unavailable')).toBe(true);
    } finally {
      warn.mockRestore();
      await noRedis?.stop();
    }
  });
});

describe('rate limits', () => {
  let stack: ProxyStack;
  const login = (headers: Record<string, string>, base = stack.publicUrl) => fetch(`${base}/auth/login?returnTo=/`, { headers, redirect: 'manual' });
  const admin = (headers: Record<string, string>, path = '/consumers', base = stack.app.adminUrl) => fetch(`${base}${path}`, { headers });

  beforeAll(async () => {
    stack = await startProxyStack({
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_LOGIN: '3/60',
      RATE_LIMIT_ADMIN: '8/60',
      RATE_LIMIT_ADMIN_AUTH_FAILURES: '3/60',
    });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('limits /auth/login per client IP and answers the excess with 429, Retry-After and the error shape', async () => {
    const before = await MetricsScrape.of(stack.app.adminUrl);
    const first = client();
    for (let attempt = 1; attempt <= 3; attempt += 1) expect((await login(first)).status).toBe(302);
    await expectTooMany(await login(first), 60);
    expect((await login(client())).status).toBe(302);
    expect(delta(before, await MetricsScrape.of(stack.app.adminUrl), THROTTLED, { scope: 'login' })).toBe(1);
  });

  it('counts the callback apart from the login, GET and form_post together', async () => {
    const address = client();
    for (let attempt = 1; attempt <= 3; attempt += 1) expect((await login(address)).status).toBe(302);
    const callback = (method: 'GET' | 'POST') =>
      fetch(`${stack.publicUrl}/auth/callback${method === 'GET' ? '?state=unknown' : ''}`, {
        method,
        headers: { ...address, 'content-type': 'application/x-www-form-urlencoded' },
        body: method === 'POST' ? 'state=unknown' : undefined,
      });
    expect([(await callback('GET')).status, (await callback('POST')).status, (await callback('GET')).status]).toEqual([400, 400, 400]);
    await expectTooMany(await callback('POST'), 60);
    await expectTooMany(await callback('GET'), 60);
  });

  it('shares one count between instances that share the Redis', async () => {
    const second = await startTestApp({ ...stack.app.env, PORT: '0' }, { database: stack.app.database });
    try {
      const address = client();
      const statuses: number[] = [];
      for (const base of [stack.publicUrl, second.browserUrl, stack.publicUrl, second.browserUrl]) statuses.push((await login(address, base)).status);
      expect(statuses).toEqual([302, 302, 302, 429]);
    } finally {
      await second.close();
    }
  });

  it('never limits /healthz or proxied routes', async () => {
    const address = client();
    for (let attempt = 1; attempt <= 20; attempt += 1) {
      expect((await fetch(`${stack.app.adminUrl}/healthz`, { headers: address })).status).toBe(200);
      expect((await fetch(`${stack.publicUrl}/public/ping`, { headers: address })).status).toBe(200);
    }
  });

  it('limits the admin API per client IP', async () => {
    const before = await MetricsScrape.of(stack.app.adminUrl);
    const address = client();
    const paths = ['/consumers', '/readyz', '/metrics', '/openapi.json', '/consumers/nobody', '/consumers', '/consumers', '/consumers'];
    for (const path of paths) expect([path, (await admin({ ...address, authorization: RIGHT_TOKEN }, path)).status]).not.toEqual([path, 429]);
    await expectTooMany(await admin({ ...address, authorization: RIGHT_TOKEN }), 60);
    expect((await admin({ ...client(), authorization: RIGHT_TOKEN })).status).toBe(200);
    expect(delta(before, await MetricsScrape.of(stack.app.adminUrl), THROTTLED, { scope: 'admin' })).toBe(1);
  });

  it('locks an address out after repeated wrong admin tokens, even when it then sends the right one', async () => {
    const before = await MetricsScrape.of(stack.app.adminUrl);
    const address = client();
    for (let attempt = 1; attempt <= 3; attempt += 1) expect((await admin({ ...address, authorization: WRONG_TOKEN })).status).toBe(401);
    await expectTooMany(await admin({ ...address, authorization: RIGHT_TOKEN }), 60);
    await expectTooMany(await admin({ ...address, authorization: WRONG_TOKEN }), 60);
    expect((await admin({ ...client(), authorization: RIGHT_TOKEN })).status).toBe(200);
    expect(delta(before, await MetricsScrape.of(stack.app.adminUrl), THROTTLED, { scope: 'admin_auth_failures' })).toBe(2);
  });

  it('does not count a missing or non-bearer Authorization header as a wrong token', async () => {
    const address = client();
    for (let attempt = 1; attempt <= 3; attempt += 1) expect((await admin(address)).status).toBe(401);
    for (let attempt = 1; attempt <= 2; attempt += 1) expect((await admin({ ...address, authorization: `Basic ${TEST_ADMIN_TOKEN}` })).status).toBe(401);
    expect((await admin({ ...address, authorization: RIGHT_TOKEN })).status).toBe(200);
  });

  it('lets an address in again once its window has passed', async () => {
    const shortWindow = await startTestApp({ RATE_LIMIT_ADMIN: '2/1' }, { database: stack.app.database });
    try {
      const headers = { authorization: RIGHT_TOKEN };
      expect([(await admin(headers, '/consumers', shortWindow.adminUrl)).status, (await admin(headers, '/consumers', shortWindow.adminUrl)).status]).toEqual([200, 200]);
      await expectTooMany(await admin(headers, '/consumers', shortWindow.adminUrl), 1);
      await sleep(1100);
      expect((await admin(headers, '/consumers', shortWindow.adminUrl)).status).toBe(200);
    } finally {
      await shortWindow.stop();
    }
  });
});

describe('the Redis throttler storage', () => {
  const prefix = uniqueRedisPrefix();
  let redis: RedisConnection;
  let sut: RedisThrottlerStorage;

  beforeAll(async () => {
    const loaded = loadAppConfig(baseEnv({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix }));
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    redis = new RedisConnection(loaded.config.redis, new MetricsService());
    if (redis.client.status !== 'ready') await new Promise((resolve) => redis.client.once('ready', resolve));
    sut = new RedisThrottlerStorage(redis);
  });
  afterAll(async () => {
    await dropKeysUnder(prefix);
    await redis.onApplicationShutdown();
  });

  it('lets exactly the limit through when many hits race, and blocks the rest', async () => {
    const key = 'a'.repeat(64);
    const results = await Promise.all(Array.from({ length: 50 }, () => sut.increment(key, 60_000, 10, 60_000, 'login')));
    expect(results.filter((result) => !result.isBlocked)).toHaveLength(10);
    expect(new Set(results.filter((result) => !result.isBlocked).map((result) => result.totalHits))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    for (const blocked of results.filter((result) => result.isBlocked)) expect(blocked.timeToBlockExpire).toBe(60);
  });

  it('keeps each counter under the prefix, with a hash tag of its own and an expiry', async () => {
    const key = 'b'.repeat(64);
    await sut.increment(key, 30_000, 1, 30_000, 'admin');
    await sut.increment(key, 30_000, 1, 30_000, 'admin');
    const keys = (await keysUnder(`${prefix}throttle:{${key}}`)).sort();
    expect(keys).toEqual([`${prefix}throttle:{${key}}:blocked`]);
    const ttl = await redis.client.pttl(keys[0] ?? '');
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await sut.increment('c'.repeat(64), 30_000, 5, 30_000, 'admin');
    const counter = `${prefix}throttle:{${'c'.repeat(64)}}`;
    expect(await redis.client.get(counter)).toBe('1');
    expect(await redis.client.pttl(counter)).toBeGreaterThan(25_000);
  });

  it('blocks at the given hit for failure counting, and reports how long the block lasts', async () => {
    const key = 'd'.repeat(64);
    const rule = { windowMs: 10_000, blockAt: 3, blockMs: 20_000 };
    const hits = [await sut.hit(key, rule, 'x'), await sut.hit(key, rule, 'x'), await sut.hit(key, rule, 'x')];
    expect(hits.map((hit) => hit.isBlocked)).toEqual([false, false, true]);
    expect(await sut.blockedFor(key, 'x')).toBeGreaterThan(19_000);
    expect(await sut.blockedFor('e'.repeat(64), 'x')).toBe(0);
  });
});
