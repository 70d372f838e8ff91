import type { EchoBody } from '../support/echo-upstream';
import { noteTiming } from '../support/fault-timings';
import { MetricsScrape, delta } from '../support/metrics-scrape';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { TcpRelay } from '../support/tcp-relay';
import { JSON_ACCEPT, type TestBrowser } from '../support/test-browser';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const CSRF = { 'x-csrf': '1' };
const BOUND_MS = 5_000;

describe('Postgres outage', () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let stack: ProxyStack;
  let alice: TestBrowser;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    relay = await TcpRelay.start({ host: target.hostname, port: Number(target.port || 5432) });
    // The BFF reaches Postgres only through the relay, which the tests cut and restore like a network outage.
    stack = await startProxyStack({ DATABASE_URL: relay.rewrite(database.url), CONSUMER_OPTIONAL: 'false' });
    for (const [username, customId] of [
      ['alice', 'user-alice'],
      ['bob', 'user-bob'],
    ]) {
      const created = await stack.app.admin('/consumers', { method: 'POST', body: JSON.stringify({ username, custom_id: customId }) });
      expect(created.status).toBe(201);
    }
    alice = await stack.signedIn('alice');
  });
  afterAll(async () => {
    await relay?.restore();
    await stack?.stop();
    await relay?.cut();
    await database?.drop();
  });

  const scrape = () => MetricsScrape.of(stack.app.adminUrl);

  async function restorePostgres(): Promise<number> {
    await relay.restore();
    const started = performance.now();
    await waitFor(() => stack.app.admin('/consumers?size=1').then((response) => response.status), (status) => status === 200, {
      what: 'the admin API to answer again',
    });
    return performance.now() - started;
  }

  it('keeps proxying existing sessions, whose consumer is in the session, while Postgres is unreachable', async () => {
    await relay.cut();
    try {
      const response = await alice.get(`${stack.publicUrl}/api/orders`, CSRF);
      expect(response.status).toBe(200);
      const { headers } = JSON.parse(response.body) as EchoBody;
      expect([headers['x-consumer-username'], headers['x-consumer-custom-id']]).toEqual(['alice', 'user-alice']);
      expect((await alice.get(`${stack.publicUrl}/auth/user`, CSRF)).status).toBe(200);
    } finally {
      await restorePostgres();
    }
  });

  it('answers new logins that need a consumer lookup with 503 JSON and no session', async () => {
    const before = await scrape();
    await relay.cut();
    try {
      const browser = stack.browser({ accept: JSON_ACCEPT });
      const started = performance.now();
      const login = await browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=/`, 'bob', 'bob-password');
      const callback = login.response;
      expect(callback.url).toContain('/auth/callback');
      expect([callback.status, JSON.parse(callback.body)]).toEqual([
        503,
        { error: 'postgres_unavailable', message: expect.stringMatching(/^Postgres is unreachable/) as unknown },
      ]);
      expect(browser.cookies(stack.publicUrl)['bff-session']).toBeUndefined();
      noteTiming('postgres cut: whole login ending in 503', performance.now() - started);
      expect(delta(before, await scrape(), 'bff_dependency_errors_total', { dependency: 'postgres' })).toBeGreaterThanOrEqual(1);
    } finally {
      await restorePostgres();
    }
  });

  it('answers the admin API with 503 JSON within 5 s and /readyz names Postgres', async () => {
    const before = await scrape();
    await relay.cut();
    try {
      const calls: [string, RequestInit][] = [
        ['/consumers', {}],
        ['/consumers/alice', {}],
        ['/consumers/alice', { method: 'PATCH', body: JSON.stringify({ tags: ['x'] }) }],
        ['/consumers', { method: 'POST', body: JSON.stringify({ username: 'during-outage' }) }],
        ['/consumers/alice/sessions', {}],
        ['/consumers/bob', { method: 'DELETE' }],
      ];
      for (const [path, init] of calls) {
        const started = performance.now();
        const response = await stack.app.admin(path, init);
        const elapsed = performance.now() - started;
        expect([init.method ?? 'GET', path, response.status, await response.json()]).toEqual([
          init.method ?? 'GET',
          path,
          503,
          { error: 'postgres_unavailable', message: expect.any(String) as unknown },
        ]);
        expect(response.headers.get('retry-after')).toBe('5');
        expect(elapsed).toBeLessThan(BOUND_MS);
        noteTiming(`postgres cut: admin ${init.method ?? 'GET'} ${path} to 503`, elapsed);
      }
      const ready = await stack.app.admin('/readyz');
      expect([ready.status, await ready.json()]).toMatchObject([
        503,
        { details: [{ dependency: 'postgres', status: 'down' }], checks: { redis: 'up', postgres: 'down' } },
      ]);
      expect(delta(before, await scrape(), 'bff_dependency_errors_total', { dependency: 'postgres' })).toBeGreaterThanOrEqual(calls.length);
    } finally {
      await restorePostgres();
    }
  });

  it('recovers by itself: the connection pool reconnects and logins and the admin API work again', async () => {
    await relay.cut();
    expect((await stack.app.admin('/consumers')).status).toBe(503);
    expect(relay.connections).toBe(0);

    const recoveryMs = await restorePostgres();

    expect(relay.connections).toBeGreaterThan(0);
    noteTiming('postgres restored: first admin 200', recoveryMs);
    expect(recoveryMs).toBeLessThan(BOUND_MS);
    const bob = await stack.signedIn('bob');
    const proxied = JSON.parse((await bob.get(`${stack.publicUrl}/api/x`, CSRF)).body) as EchoBody;
    expect(proxied.headers['x-consumer-username']).toBe('bob');
    const listed = (await (await stack.app.admin('/consumers?username=bob')).json()) as { data: unknown[] };
    expect(listed.data).toHaveLength(1);
    expect((await stack.app.admin('/readyz')).status).toBe(200);
  });
});
