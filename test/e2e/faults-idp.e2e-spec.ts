import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { noteTiming } from '../support/fault-timings';
import { callbackUrlFor } from '../support/login-steps';
import { MetricsScrape, delta } from '../support/metrics-scrape';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { startTestApp, type TestApp } from '../support/test-app';
import { JSON_ACCEPT, type BrowserResponse, type TestBrowser } from '../support/test-browser';
import { waitFor } from '../support/wait-for';

const CSRF = { 'x-csrf': '1' };
const DEPENDENCY_ERRORS = 'bff_dependency_errors_total';
const ACCESS_TOKEN_TTL_SECONDS = 5;

function bearerOf(body: string): string {
  return (JSON.parse(body) as { headers: Record<string, string> }).headers['authorization'] ?? '';
}

function expiryOf(bearer: string): number {
  const payload = JSON.parse(Buffer.from(bearer.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number };
  return payload.exp * 1000;
}

function json(response: BrowserResponse): unknown {
  return JSON.parse(response.body);
}

describe('IdP outage while the BFF runs', () => {
  let stack: ProxyStack;

  beforeAll(async () => {
    // Login starts are polled here; the login rate limit is another spec's subject.
    stack = await startProxyStack({ RATE_LIMIT_LOGIN: 'off' }, { accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const scrape = () => MetricsScrape.of(stack.app.adminUrl);
  const api = (browser: TestBrowser) => browser.get(`${stack.publicUrl}/api/things`, CSRF);

  it('answers login starts with 503 JSON while the IdP is down, /readyz names it, and logins resume when it returns', async () => {
    const before = await scrape();
    await stack.idp.stop();
    try {
      const started = performance.now();
      const refused = await waitFor(
        () => stack.browser({ accept: JSON_ACCEPT }).get(`${stack.publicUrl}/auth/login?returnTo=/`),
        (response) => response.status !== 302,
        { what: 'login starts to notice the outage' },
      );
      noteTiming('idp stopped: login start answers 503 after', performance.now() - started);
      expect([refused.status, json(refused)]).toEqual([
        503,
        { error: 'idp_unavailable', message: 'The identity provider is unreachable; try again shortly.' },
      ]);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(refused.headers['retry-after']).toBe('5');
      const ready = await stack.app.admin('/readyz');
      expect([ready.status, await ready.json()]).toMatchObject([503, { details: [{ dependency: 'idp', status: 'down' }] }]);
      expect(delta(before, await scrape(), DEPENDENCY_ERRORS, { dependency: 'idp' })).toBeGreaterThanOrEqual(1);
    } finally {
      await stack.idp.restart();
    }
    const started = performance.now();
    await waitFor(
      () => stack.browser().get(`${stack.publicUrl}/auth/login?returnTo=/`),
      (response) => response.status === 302,
      { what: 'login starts to work again' },
    );
    noteTiming('idp restarted: login start answers 302 after', performance.now() - started);
    const carol = await stack.signedIn('carol');
    expect((await api(carol)).status).toBe(200);
  });

  it('answers a callback whose code exchange cannot reach the IdP with 503 JSON and no session', async () => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const callback = await callbackUrlFor(browser, stack.publicUrl, 'bob');
    const before = await scrape();
    await stack.idp.stop();
    try {
      const response = await browser.get(callback);

      expect([response.status, json(response)]).toMatchObject([503, { error: 'idp_unavailable' }]);
      expect(browser.cookies(stack.publicUrl)['bff-session']).toBeUndefined();
      const after = await scrape();
      expect(delta(before, after, DEPENDENCY_ERRORS, { dependency: 'idp' })).toBeGreaterThanOrEqual(1);
      expect(delta(before, after, 'bff_logins_total', { outcome: 'error' })).toBe(1);
    } finally {
      await stack.idp.restart();
    }
  });

  it('forwards with the old access token while the IdP is down and it is valid, answers 503 once it expired, and refreshes when the IdP returns', async () => {
    const alice = await stack.signedIn('alice');
    const before = await scrape();
    await stack.idp.stop();
    let old: string;
    try {
      // TOKEN_REFRESH_SKEW (60 s) exceeds the token's lifetime, so every call wants a refresh.
      const stillValid = await api(alice);
      expect(stillValid.status).toBe(200);
      old = bearerOf(stillValid.body);
      expect(expiryOf(old)).toBeGreaterThan(Date.now());

      const expired = await waitFor(() => api(alice), (response) => response.status !== 200, {
        intervalMs: 250,
        what: 'the old access token to expire',
      });
      expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(old) - 1_000);
      expect([expired.status, json(expired)]).toMatchObject([503, { error: 'idp_unavailable' }]);
      const after = await scrape();
      expect(delta(before, after, 'bff_token_refreshes_total', { outcome: 'idp_unreachable' })).toBeGreaterThanOrEqual(2);
      expect(delta(before, after, 'bff_token_refresh_failures_total', { reason: 'idp_unreachable' })).toBeGreaterThanOrEqual(2);
      expect(delta(before, after, DEPENDENCY_ERRORS, { dependency: 'idp' })).toBeGreaterThanOrEqual(2);
    } finally {
      await stack.idp.restart();
    }
    const refreshed = await api(alice);
    expect(refreshed.status).toBe(200);
    expect(bearerOf(refreshed.body)).not.toBe(old);
    expect(delta(before, await scrape(), 'bff_token_refreshes_total', { outcome: 'success' })).toBeGreaterThanOrEqual(1);
  });

  it('answers bearer calls with 503 while the key set cannot be fetched, backs off, and verifies again when the IdP returns', async () => {
    // A second instance that has discovered the IdP but not yet read its key set (this one has: logins verify ID tokens).
    const fresh = await startTestApp({ ...stack.app.env, PORT: '0' }, { database: stack.app.database });
    try {
      await waitFor(() => fresh.admin('/readyz').then((response) => response.status), (status) => status === 200, { what: 'discovery' });
      const { access_token: token } = await stack.idp.issueClientCredentialsToken();
      const bearerCall = () => fetch(`${fresh.browserUrl}/machines/x`, { headers: { authorization: `Bearer ${token}` } });
      const before = await MetricsScrape.of(fresh.adminUrl);
      await stack.idp.stop();
      try {
        const results = [];
        for (let index = 0; index < 5; index += 1) results.push(await bearerCall());
        expect(results.map((response) => response.status)).toEqual([503, 503, 503, 503, 503]);
        await expect(results[0]?.json()).resolves.toMatchObject({ error: 'idp_unavailable' });
        expect(delta(before, await MetricsScrape.of(fresh.adminUrl), DEPENDENCY_ERRORS, { dependency: 'idp' })).toBeGreaterThanOrEqual(1);
      } finally {
        await stack.idp.restart();
      }
      const started = performance.now();
      await waitFor(() => bearerCall().then((response) => response.status), (status) => status === 200, {
        what: 'bearer calls to be verified again',
      });
      noteTiming('idp restarted: first verified bearer call after', performance.now() - started);
    } finally {
      await fresh.close();
    }
  });

  it('keeps verifying bearer JWTs from the cached key set while the IdP is down', async () => {
    await stack.signedIn('carol');
    const { access_token: token } = await stack.idp.issueClientCredentialsToken();
    await stack.idp.stop();
    try {
      const response = await fetch(`${stack.publicUrl}/machines/x`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
    } finally {
      await stack.idp.restart();
    }
  });
});

describe('a BFF started while the IdP is down', () => {
  let idp: DevIdp;
  let app: TestApp;
  let token: string;
  let startedAt: number;

  beforeAll(async () => {
    idp = await startDevIdp();
    token = (await idp.issueClientCredentialsToken()).access_token;
    await idp.stop();
    startedAt = performance.now();
    app = await startTestApp({
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      CONSUMER_OPTIONAL: 'true',
      UPSTREAM_URL: 'http://127.0.0.1:9',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await idp?.stop();
  });

  const scrape = () => MetricsScrape.of(app.adminUrl);
  const idpErrors = async () => (await scrape()).value(DEPENDENCY_ERRORS, { dependency: 'idp' });

  it('retries discovery in the background with growing delays', async () => {
    // Attempts at about 0, 0.5, 1.5 and 3.5 s after start (500 ms doubling): the third cannot come before 1.5 s.
    const failures = await waitFor(idpErrors, (count) => count >= 3, { what: 'three failed discoveries' });
    const elapsed = performance.now() - startedAt;

    expect(failures).toBeLessThanOrEqual(4);
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    noteTiming('idp down at start: third background discovery after', elapsed);
  });

  it('answers /readyz, logins and bearer calls with 503 naming the IdP while it is down', async () => {
    const ready = await app.admin('/readyz');
    expect([ready.status, await ready.json()]).toMatchObject([
      503,
      { details: [{ dependency: 'idp', status: 'down' }], checks: { redis: 'up', postgres: 'up', idp: 'down' } },
    ]);
    const login = await fetch(`${app.browserUrl}/auth/login`, { redirect: 'manual' });
    expect([login.status, await login.json()]).toMatchObject([503, { error: 'idp_unavailable' }]);
    const bearer = await fetch(`${app.browserUrl}/api/x`, { headers: { authorization: `Bearer ${token}` } });
    expect([bearer.status, await bearer.json()]).toMatchObject([503, { error: 'idp_unavailable' }]);
  });

  it('becomes ready by itself when the IdP comes up', async () => {
    await idp.restart();
    const started = performance.now();

    await waitFor(() => app.admin('/readyz').then((response) => response.status), (status) => status === 200, {
      what: '/readyz to turn 200',
    });

    noteTiming('idp up after a down start: /readyz 200 after', performance.now() - started);
    const login = await fetch(`${app.browserUrl}/auth/login`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toContain(`${idp.issuer}/auth`);
    // The bearer is verified against the now reachable key set; the upstream itself is a closed port.
    const bearer = await waitFor(
      () => fetch(`${app.browserUrl}/api/x`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status),
      (status) => status !== 503,
      { what: 'the bearer to be verified' },
    );
    expect(bearer).toBe(502);
  });
});
