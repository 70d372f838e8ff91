import { RedisConnection } from '../../src/redis/redis.connection';
import { noteTiming } from '../support/fault-timings';
import { liveMemory } from '../support/live-memory';
import { callbackUrlFor } from '../support/login-steps';
import { MetricsScrape, delta } from '../support/metrics-scrape';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { RedisProcess } from '../support/redis-process';
import { JSON_ACCEPT, type TestBrowser } from '../support/test-browser';
import { waitFor } from '../support/wait-for';

const CSRF = { 'x-csrf': '1' };
const BOUND_MS = 5_000;
const COMMAND_TIMEOUT_MS = 1_000;
const DEPENDENCY_ERRORS = 'bff_dependency_errors_total';

/** Counts of the process's live handles by kind (TCPSocketWrap, Timeout, …). */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('Redis outage', () => {
  let redis: RedisProcess;
  let stack: ProxyStack;
  let alice: TestBrowser;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    redis = await RedisProcess.start({ persistent: true });
    stack = await startProxyStack({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) });
    alice = await stack.signedIn('alice');
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await stack?.stop();
    await redis?.stop();
  });

  const api = (browser: TestBrowser, path = '/api/things') => timed(() => browser.get(`${stack.publicUrl}${path}`, CSRF));
  const scrape = () => MetricsScrape.of(stack.app.adminUrl);

  async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = performance.now();
    const result = await call();
    return { result, ms: performance.now() - started };
  }

  async function restartRedis(): Promise<void> {
    redis.thaw();
    if (redis.pid === undefined) await redis.restart();
    await waitFor(() => stack.app.admin('/readyz').then((response) => response.status), (status) => status === 200, { what: 'redis to be ready again' });
  }

  it('answers API calls, logins and the admin API with 503 JSON within 5 s while Redis is down, and /readyz names it', async () => {
    const halfLoggedIn = stack.browser({ accept: JSON_ACCEPT });
    const callback = await callbackUrlFor(halfLoggedIn, stack.publicUrl, 'carol');
    const before = await scrape();
    await redis.kill();
    try {
      const apiCall = await api(alice);
      expect([apiCall.result.status, JSON.parse(apiCall.result.body)]).toEqual([
        503,
        { error: 'redis_unavailable', message: expect.stringMatching(/redis/i) as unknown },
      ]);
      expect(apiCall.result.headers['content-type']).toMatch(/^application\/json/);
      expect(apiCall.ms).toBeLessThan(BOUND_MS);
      noteTiming('redis killed: API call to 503', apiCall.ms);

      const login = await timed(() => stack.browser({ accept: JSON_ACCEPT }).get(`${stack.publicUrl}/auth/login?returnTo=/`));
      expect([login.result.status, JSON.parse(login.result.body)]).toMatchObject([503, { error: 'redis_unavailable' }]);
      expect(login.ms).toBeLessThan(BOUND_MS);
      noteTiming('redis killed: login start to 503', login.ms);

      const finish = await timed(() => halfLoggedIn.get(callback));
      expect([finish.result.status, JSON.parse(finish.result.body)]).toMatchObject([503, { error: 'redis_unavailable' }]);
      expect(finish.ms).toBeLessThan(BOUND_MS);
      expect(halfLoggedIn.cookies(stack.publicUrl)['bff-session']).toBeUndefined();

      const user = await timed(() => alice.get(`${stack.publicUrl}/auth/user`, CSRF));
      expect([user.result.status, JSON.parse(user.result.body)]).toMatchObject([503, { error: 'redis_unavailable' }]);

      const sessions = await stack.app.admin('/consumers/nobody-needed/sessions');
      expect(sessions.status).toBe(404); // Postgres answers that one; Redis is not needed to say "no such consumer".
      const created = await stack.app.admin('/consumers', { method: 'POST', body: JSON.stringify({ username: 'redis-outage' }) });
      const endAll = await stack.app.admin('/consumers/redis-outage/sessions', { method: 'DELETE' });
      expect([created.status, endAll.status, await endAll.json()]).toMatchObject([201, 503, { error: 'redis_unavailable' }]);

      const ready = await stack.app.admin('/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        error: 'not_ready',
        details: [{ dependency: 'redis', status: 'down' }],
        checks: { redis: 'down', postgres: 'up', idp: 'up' },
      });
      expect(delta(before, await scrape(), DEPENDENCY_ERRORS, { dependency: 'redis' })).toBeGreaterThanOrEqual(4);
    } finally {
      await restartRedis();
    }
  });

  it('answers 503 within the command timeout when Redis hangs instead of refusing connections', async () => {
    redis.freeze();
    try {
      const hung = await api(alice);
      expect([hung.result.status, JSON.parse(hung.result.body)]).toMatchObject([503, { error: 'redis_unavailable' }]);
      expect(hung.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS * 0.9);
      expect(hung.ms).toBeLessThan(BOUND_MS);
      noteTiming(`redis frozen: API call to 503 (command timeout ${COMMAND_TIMEOUT_MS} ms)`, hung.ms);
      const ready = await stack.app.admin('/readyz');
      expect([ready.status, ((await ready.json()) as { checks: unknown }).checks]).toMatchObject([503, { redis: 'down' }]);
    } finally {
      await restartRedis();
    }
    expect((await api(alice)).result.status).toBe(200);
  });

  it('resumes by itself when Redis returns, and sessions stored before the outage still work', async () => {
    const bob = await stack.signedIn('bob');
    const bearerBefore = bearerOf((await api(bob)).result.body);
    await redis.kill();
    expect((await api(bob)).result.status).toBe(503);

    await redis.restart();
    const started = performance.now();
    const resumed = await waitFor(() => api(bob), ({ result }) => result.status !== 503, { what: 'the API to answer again' });
    const recoveryMs = performance.now() - started;

    expect(resumed.result.status).toBe(200);
    expect(bearerOf(resumed.result.body)).toBe(bearerBefore);
    expect((await api(alice)).result.status).toBe(200);
    expect(recoveryMs).toBeLessThan(BOUND_MS);
    noteTiming('redis restarted: first 200 after restart', recoveryMs);
    expect((await stack.app.admin('/readyz')).status).toBe(200);
    const carol = await stack.signedIn('carol');
    expect((await api(carol)).result.status).toBe(200);
  });

  it('neither crashes nor leaks while Redis is down: no unhandled rejections, stable handles, no queued commands', async () => {
    const connection = stack.app.app.get(RedisConnection);
    await redis.kill();
    try {
      // Warm up: the client's reconnect timer and the test client's sockets settle into their steady state.
      for (let index = 0; index < 20; index += 1) expect((await api(alice)).result.status).toBe(503);
      const handlesBefore = activeResources();
      const heapBefore = liveMemory().heap;

      const results = await Promise.all(Array.from({ length: 300 }, () => api(alice)));

      // Every one answered (a hang would stop the test here); how fast 300 at once are answered is this machine's
      // throughput, client and server sharing one process: the 5 s bound of one call is the first test's.
      expect(new Set(results.map(({ result }) => result.status))).toEqual(new Set([503]));
      const handlesAfter = await waitFor(
        () => activeResources(),
        (counts) => (counts['TCPSocketWrap'] ?? 0) <= (handlesBefore['TCPSocketWrap'] ?? 0) + 2,
        { what: 'sockets to settle' },
      );
      expect(handlesAfter['Timeout'] ?? 0).toBeLessThanOrEqual((handlesBefore['Timeout'] ?? 0) + 5);
      const heapGrowthMb = (liveMemory().heap - heapBefore) / 2 ** 20;
      expect(heapGrowthMb).toBeLessThan(50);
      noteTiming('redis down: slowest of 300 concurrent 503s', Math.max(...results.map(({ ms }) => ms)));
      noteTiming('redis down: sockets before 300 calls', handlesBefore['TCPSocketWrap'] ?? 0, 'sockets');
      noteTiming('redis down: sockets after 300 calls', handlesAfter['TCPSocketWrap'] ?? 0, 'sockets');
      noteTiming('redis down: heap growth over 300 calls', heapGrowthMb, 'MB');
      // Nothing waits in ioredis for Redis to come back: no offline queue, no pending commands.
      expect('commandQueue' in connection.client ? connection.client.commandQueue.length : 0).toBe(0);
    } finally {
      await restartRedis();
    }
    expect(rejections).toEqual([]);
  });
});

function bearerOf(body: string): string {
  const parsed = JSON.parse(body) as { headers: Record<string, string> };
  return parsed.headers['authorization'] ?? '';
}
