import { DbscBrowser } from '../support/dbsc-browser';
import { keysUnder } from '../support/test-redis';
import { startLoginStack, type LoginStack } from '../support/login-stack';

const CSRF = { 'x-csrf': '1' };

describe('login with the authorization code flow and PKCE', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('reports Redis, Postgres and the IdP as up on /readyz', async () => {
    const response = await stack.app.admin('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { redis: 'up', postgres: 'up', idp: 'up' } });
  });

  it('redirects to the IdP with state, nonce, an S256 code challenge and the configured scopes', async () => {
    const response = await stack.browser().get(`${stack.publicUrl}/auth/login?returnTo=/orders`);
    expect(response.status).toBe(302);
    const authorize = new URL(response.location!);
    expect(authorize.origin).toBe(stack.idp.issuer);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'bff',
      redirect_uri: `${stack.publicUrl}/auth/callback`,
      scope: 'openid profile email offline_access',
      code_challenge_method: 'S256',
      state: expect.stringMatching(/.{20,}/) as unknown,
      nonce: expect.stringMatching(/.{20,}/) as unknown,
      code_challenge: expect.stringMatching(/^[\w-]{43}$/) as unknown,
    });
    expect(authorize.searchParams.has('response_mode')).toBe(false);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('signs a user in, sets an HttpOnly SameSite=Lax session cookie and returns to returnTo', async () => {
    const browser = stack.browser();
    const login = await browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=%2Forders%3Fpage%3D2`, 'alice', 'alice-password');
    expect(login.visited).toContain(`${stack.publicUrl}/orders?page=2`);
    const sessionCookie = browser.jar.raw(stack.publicUrl).find((cookie) => cookie.startsWith('bff-session='));
    expect(sessionCookie).toBeDefined();
    const value = /^bff-session=([^;]+)/.exec(sessionCookie!)![1];
    expect(Buffer.from(value, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(sessionCookie).toMatch(/; HttpOnly/);
    expect(sessionCookie).toMatch(/; SameSite=Lax/);
    expect(sessionCookie).toMatch(/; Path=\//);
    expect(sessionCookie).not.toMatch(/Secure/);
  });

  it('answers /auth/user with claims, groups and session times, and never a token', async () => {
    const browser = await stack.signedIn('alice');
    const response = await browser.get(`${stack.publicUrl}/auth/user`, CSRF);
    expect(response.status).toBe(200);
    const user = JSON.parse(response.body) as Record<string, unknown>;
    expect(user).toMatchObject({
      sub: 'user-alice',
      groups: ['admins', 'users'],
      consumer: null,
      claims: { sub: 'user-alice', email: 'alice@example.test', iss: stack.idp.issuer },
      session: { expires_at: expect.any(String) as unknown, idle_expires_at: expect.any(String) as unknown },
      logoutUrl: expect.stringMatching(/^\/auth\/logout\?sid=[\w-]+$/) as unknown,
    });
    expect(response.body).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    expect(response.body).not.toMatch(/access_token|refresh_token|id_token/);
  });

  it('offers no device binding unless SESSION_DEVICE_BINDING=on, and has no endpoints for it', async () => {
    const dbsc = new DbscBrowser();
    await dbsc.browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=%2F`, 'alice', 'alice-password');
    expect(dbsc.offers).toEqual([]);
    const user = JSON.parse((await dbsc.browser.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { session: { device_bound: boolean } };
    expect(user.session.device_bound).toBe(false);
    for (const path of ['/auth/device-binding/register', '/auth/device-binding/refresh']) {
      const answer = await dbsc.post(new URL(path, stack.publicUrl), { 'sec-secure-session-id': 'AAAAAAAAAAAAAAAAAAAAAA' });
      expect([path, answer.status, JSON.parse(answer.body)]).toEqual([path, 404, expect.objectContaining({ error: 'device_binding_off' })]);
    }
  });

  it('refuses /auth/user without the CSRF header (403) and without a session (401 with a login_url)', async () => {
    const browser = await stack.signedIn('bob');
    const withoutHeader = await browser.get(`${stack.publicUrl}/auth/user`);
    expect(withoutHeader.status).toBe(403);
    expect(JSON.parse(withoutHeader.body)).toMatchObject({ error: 'csrf_header_missing' });

    const anonymous = await stack.browser().get(`${stack.publicUrl}/auth/user`, { ...CSRF, referer: `${stack.publicUrl}/reports?y=1` });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toEqual({
      error: 'not_authenticated',
      message: expect.any(String) as unknown,
      login_url: '/auth/login?returnTo=%2Freports%3Fy%3D1',
    });
  });

  it.each([
    ['an unknown session id', 'bff-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a malformed cookie', 'bff-session=not-a-session'],
    ['a tampered cookie', 'tampered'],
  ])('treats %s as an expired session', async (_case, cookie) => {
    let header = cookie;
    if (cookie === 'tampered') {
      const browser = await stack.signedIn('carol');
      const value = browser.cookies(stack.publicUrl)['bff-session'];
      // Swap the second-to-last character for another one (the last holds padding bits, so it could decode alike).
      header = `bff-session=${value.slice(0, -2)}${value.at(-2) === 'A' ? 'B' : 'A'}${value.slice(-1)}`;
    }
    const response = await fetch(`${stack.publicUrl}/auth/user`, { headers: { ...CSRF, cookie: header } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'session_expired', login_url: '/auth/login' });
    expect(response.headers.get('set-cookie')).toMatch(/^bff-session=; .*Max-Age=0/);
  });

  it.each([
    ['//evil.example/path'],
    ['/\\evil.example'],
    ['https://evil.example/'],
    ['http:/evil.example'],
    ['evil.example'],
    ['/\t/evil.example'],
    ['/%0a/evil.example'.replace('%0a', '\n')],
    ['javascript:alert(1)'],
    [''],
  ])('refuses returnTo=%j with 400', async (returnTo) => {
    const response = await fetch(`${stack.publicUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_return_to' });
  });

  it('issues a new session id on every login and ends the previous one', async () => {
    const browser = await stack.signedIn('alice');
    const first = browser.cookies(stack.publicUrl)['bff-session'];
    await browser.loginWithForm(`${stack.publicUrl}/auth/login`, 'alice', 'alice-password');
    const second = browser.cookies(stack.publicUrl)['bff-session'];
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    const old = await fetch(`${stack.publicUrl}/auth/user`, { headers: { ...CSRF, cookie: `bff-session=${first}` } });
    expect(old.status).toBe(401);
  });

  it('lets several tabs of one browser log in at once', async () => {
    const browser = stack.browser();
    const starts = await Promise.all([1, 2, 3].map((tab) => browser.get(`${stack.publicUrl}/auth/login?returnTo=/tab${tab}`)));
    expect(new Set(starts.map((start) => new URL(start.location!).searchParams.get('state'))).size).toBe(3);
    const bindings = browser.jar.raw(stack.publicUrl).filter((cookie) => cookie.startsWith('bff-login-'));
    expect(bindings).toHaveLength(3);
    for (const start of starts) {
      const done = await browser.loginWithForm(start.location!, 'bob', 'bob-password');
      expect(done.visited.some((url) => /\/tab\d$/.test(url))).toBe(true);
    }
  });

  it('stores no token and no raw session id in Redis', async () => {
    const browser = await stack.signedIn('alice');
    const sessionId = browser.cookies(stack.publicUrl)['bff-session'];
    const { Redis } = await import('ioredis');
    const redis = new Redis(stack.app.env['REDIS_URL']!);
    try {
      const keys = await keysUnder(stack.app.redisPrefix);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).not.toContain(sessionId);
        const type = await redis.type(key);
        const values =
          type === 'hash' ? Object.values(await redis.hgetall(key))
          : type === 'zset' ? await redis.zrange(key, 0, -1)
          : type === 'string' ? [(await redis.get(key)) ?? '']
          : [];
        for (const value of values) {
          expect(value).not.toContain(sessionId);
          expect(value).not.toMatch(/eyJ[\w-]{10,}/);
        }
      }
    } finally {
      redis.disconnect();
    }
  });
});
