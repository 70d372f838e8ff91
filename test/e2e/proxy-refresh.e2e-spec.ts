import { setTimeout as sleep } from 'node:timers/promises';
import type { EchoBody } from '../support/echo-upstream';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { startTestApp, type TestApp } from '../support/test-app';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
// Access tokens live 12 s and are refreshed when they expire within 10 s: due two seconds after they are issued, and a
// fresh one stays fresh for those two seconds, enough for a burst of calls to finish even on a loaded machine.
const TOKEN_TTL_SECONDS = 12;
const TOKEN_REFRESH_SKEW_SECONDS = 10;
const DUE_AFTER_MS = (TOKEN_TTL_SECONDS - TOKEN_REFRESH_SKEW_SECONDS) * 1000 + 100;

function bearerOf(body: EchoBody): string {
  return String(body.headers['authorization']).slice('Bearer '.length);
}

function subjectOf(jwt: string): unknown {
  return (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown }).sub;
}

describe('access token refresh before proxying', () => {
  let stack: ProxyStack;
  let second: TestApp;

  beforeAll(async () => {
    stack = await startProxyStack({ TOKEN_REFRESH_SKEW: String(TOKEN_REFRESH_SKEW_SECONDS) }, { accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
    second = await startTestApp({ ...stack.app.env, PORT: '0' }, { database: stack.app.database });
  });
  afterAll(async () => {
    await second.close();
    await stack.stop();
  });

  async function callApi(browser: TestBrowser, base = stack.publicUrl) {
    const response = await fetch(`${base}/api/resource`, { headers: { ...CSRF, cookie: browser.cookieHeader(stack.publicUrl) ?? '' } });
    return { status: response.status, body: (await response.json()) as EchoBody & { error?: string } };
  }

  it('makes exactly one refresh grant for 20 concurrent calls at expiry, and all of them succeed', async () => {
    const browser = await stack.signedIn('alice');
    const before = bearerOf((await callApi(browser)).body);
    await sleep(DUE_AFTER_MS);
    stack.idp.resetCounters();
    const results = await Promise.all(Array.from({ length: 20 }, () => callApi(browser)));
    expect(results.map((result) => result.status)).toEqual(Array(20).fill(200));
    expect(stack.idp.counters.refreshToken).toBe(1);
    const bearers = new Set(results.map((result) => bearerOf(result.body)));
    expect(bearers.size).toBe(1);
    expect(bearers.has(before)).toBe(false);
    expect(subjectOf([...bearers][0])).toBe('user-alice');
  });

  it('makes one refresh grant when the calls are spread over two instances sharing Redis', async () => {
    const browser = await stack.signedIn('bob');
    await callApi(browser);
    await sleep(DUE_AFTER_MS);
    stack.idp.resetCounters();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => callApi(browser, index % 2 === 0 ? stack.publicUrl : second.browserUrl)),
    );
    expect(results.map((result) => result.status)).toEqual(Array(20).fill(200));
    expect(stack.idp.counters.refreshToken).toBe(1);
    expect(new Set(results.map((result) => bearerOf(result.body))).size).toBe(1);
  });

  it('keeps rotating the refresh token across several expiries', async () => {
    const browser = await stack.signedIn('carol');
    const seen = new Set<string>();
    stack.idp.resetCounters();
    for (let round = 1; round <= 3; round += 1) {
      await sleep(DUE_AFTER_MS);
      const results = await Promise.all(Array.from({ length: 5 }, () => callApi(browser)));
      expect(results.map((result) => result.status)).toEqual(Array(5).fill(200));
      seen.add(bearerOf(results[0].body));
      expect(stack.idp.counters.refreshToken).toBe(round);
    }
    expect(seen.size).toBe(3);
  });

  it('ends the session with 401 refresh_failed when the IdP rejects the refresh', async () => {
    const browser = await stack.signedIn('bob');
    stack.idp.revokeGrantsOf('user-bob');
    await sleep(DUE_AFTER_MS);
    const rejected = await callApi(browser);
    expect(rejected.status).toBe(401);
    expect(rejected.body).toMatchObject({ error: 'refresh_failed', login_url: '/auth/login' });
    const after = await callApi(browser);
    expect(after.status).toBe(401);
    expect(after.body.error).toMatch(/^session_(expired|revoked)$/);
  });

  it('forwards with the old token while the IdP is down and it is still valid, and answers 503 once it has expired', async () => {
    const browser = await stack.signedIn('alice');
    const fresh = bearerOf((await callApi(browser)).body);
    await sleep(DUE_AFTER_MS);
    await stack.idp.stop();
    try {
      const stillValid = await callApi(browser);
      expect([stillValid.status, stillValid.body.error]).toEqual([200, undefined]);
      expect(bearerOf(stillValid.body)).toBe(fresh);
      await sleep(TOKEN_REFRESH_SKEW_SECONDS * 1000);
      const expired = await callApi(browser);
      expect(expired.status).toBe(503);
      expect(expired.body).toMatchObject({ error: 'idp_unavailable' });
    } finally {
      await stack.idp.restart();
    }
    const recovered = await callApi(browser);
    expect(recovered.status).toBe(200);
    expect(bearerOf(recovered.body)).not.toBe(fresh);
  });
});
