import { startLoginStack, type LoginStack } from '../support/login-stack';
import { startTestApp, type TestApp } from '../support/test-app';
import { JSON_ACCEPT, TestBrowser } from '../support/test-browser';
import { keysUnder } from '../support/test-redis';

const CSRF = { 'x-csrf': '1' };

describe('login parameters and silent login', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack({ RATE_LIMIT_LOGIN: 'off' });
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function pendingLogins(prefix = stack.app.redisPrefix): Promise<string[]> {
    return (await keysUnder(prefix)).filter((key) => key.startsWith(`${prefix}login:`));
  }

  it('passes prompt, max_age, acr_values, login_hint and ui_locales to the authorization request', async () => {
    const query = 'returnTo=/orders&prompt=login&max_age=600&acr_values=urn%3Adev%3Aloa%3A2fa&login_hint=alice%40example.test&ui_locales=de%20en';
    const response = await stack.browser().get(`${stack.publicUrl}/auth/login?${query}`);
    expect(response.status).toBe(302);
    const authorize = new URL(response.location!);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      prompt: 'login',
      max_age: '600',
      acr_values: 'urn:dev:loa:2fa',
      login_hint: 'alice@example.test',
      ui_locales: 'de en',
      scope: 'openid profile email offline_access',
      redirect_uri: `${stack.publicUrl}/auth/callback`,
    });
  });

  it('makes the IdP ask again with prompt=login although its session is alive', async () => {
    const browser = await stack.signedIn('alice');
    const again = await browser.follow(await browser.get(`${stack.publicUrl}/auth/login?prompt=login`));
    expect(again.response.body).toContain('name="username"');
    const plain = await browser.follow(await browser.get(`${stack.publicUrl}/auth/login`));
    expect(plain.response.url).toBe(`${stack.publicUrl}/`);
  });

  it.each([
    ['prompt=create', 'invalid_login_parameter', 'prompt'],
    ['prompt=select_account', 'invalid_login_parameter', 'prompt'],
    ['prompt=', 'invalid_login_parameter', 'prompt'],
    ['prompt=none%20login', 'invalid_login_parameter', 'prompt'],
    ['max_age=-5', 'invalid_login_parameter', 'max_age'],
    ['max_age=ten', 'invalid_login_parameter', 'max_age'],
    ['max_age=1.5', 'invalid_login_parameter', 'max_age'],
    [`acr_values=${'a'.repeat(256)}`, 'invalid_login_parameter', 'acr_values'],
    ['login_hint=al%0Aice', 'invalid_login_parameter', 'login_hint'],
    ['ui_locales=d%C3%A9', 'invalid_login_parameter', 'ui_locales'],
    ['prompt=none&prompt=login', 'invalid_login_parameter', 'prompt'],
    ['scope=openid%20admin', 'unknown_login_parameter', 'scope'],
    ['redirect_uri=https%3A%2F%2Fevil.example%2Fcb', 'unknown_login_parameter', 'redirect_uri'],
    ['client_id=other', 'unknown_login_parameter', 'client_id'],
    ['response_type=token', 'unknown_login_parameter', 'response_type'],
    ['response_mode=fragment', 'unknown_login_parameter', 'response_mode'],
    ['state=chosen', 'unknown_login_parameter', 'state'],
  ])('refuses %s with a 400 %s naming %s, and starts no login', async (query, error, parameter) => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const before = await pendingLogins();
    const response = await browser.get(`${stack.publicUrl}/auth/login?returnTo=/x&${query}`);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual({ error, message: expect.any(String) as unknown, details: [{ parameter }] });
    expect(response.setCookies).toEqual([]);
    expect(await pendingLogins()).toEqual(before);
  });

  describe('with LOGIN_FORWARD_PARAMS narrowed', () => {
    let narrow: TestApp;
    let none: TestApp;

    beforeAll(async () => {
      const common = { OIDC_ISSUER: stack.idp.issuer, OIDC_CLIENT_ID: stack.idp.clientId, OIDC_CLIENT_SECRET: stack.idp.clientSecret };
      narrow = await startTestApp({ ...common, LOGIN_FORWARD_PARAMS: 'prompt,login_hint' });
      none = await startTestApp({ ...common, LOGIN_FORWARD_PARAMS: '' });
    });
    afterAll(async () => {
      await narrow?.stop();
      await none?.stop();
    });

    it('forwards the listed parameters and refuses the others with 400', async () => {
      const allowed = await fetch(`${narrow.browserUrl}/auth/login?prompt=login&login_hint=bob`, { redirect: 'manual' });
      expect(allowed.status).toBe(302);
      expect(new URL(allowed.headers.get('location')!).searchParams.get('login_hint')).toBe('bob');
      for (const query of ['max_age=60', 'acr_values=urn%3Adev%3Aloa%3A2fa', 'ui_locales=de']) {
        const refused = await fetch(`${narrow.browserUrl}/auth/login?${query}`, { redirect: 'manual' });
        expect([query, refused.status]).toEqual([query, 400]);
        expect(await refused.json()).toMatchObject({ error: 'login_parameter_not_forwarded' });
      }
      expect(await pendingLogins(narrow.redisPrefix)).toHaveLength(1);
    });

    it('refuses every login parameter when the list is empty, and still starts plain logins', async () => {
      const refused = await fetch(`${none.browserUrl}/auth/login?prompt=none`, { redirect: 'manual' });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'login_parameter_not_forwarded', details: [{ parameter: 'prompt' }] });
      expect(await pendingLogins(none.redisPrefix)).toEqual([]);
      const plain = await fetch(`${none.browserUrl}/auth/login?returnTo=/a`, { redirect: 'manual' });
      expect(plain.status).toBe(302);
      expect(new URL(plain.headers.get('location')!).searchParams.has('prompt')).toBe(false);
    });
  });

  it('sends a silent login without an IdP session back to returnTo with bff_error=login_required, and no session', async () => {
    const browser = stack.browser();
    const before = await pendingLogins();
    const done = await browser.follow(await browser.get(`${stack.publicUrl}/auth/login?prompt=none&returnTo=%2Fpage%3Fx%3D1%23top`));
    const last = done.visited.at(-2);
    expect(last).toMatch(new RegExp(`^${stack.publicUrl}/auth/callback\\?`));
    expect(done.response.url).toBe(`${stack.publicUrl}/page?x=1&bff_error=login_required#top`);
    expect(browser.cookies(stack.publicUrl)['bff-session']).toBeUndefined();
    expect(Object.keys(browser.cookies(stack.publicUrl)).filter((name) => name.startsWith('bff-login-'))).toEqual([]);
    expect(await pendingLogins()).toEqual(before);
    const user = await browser.get(`${stack.publicUrl}/auth/user`, CSRF);
    expect(user.status).toBe(401);
  });

  it('signs in silently when the IdP session is alive', async () => {
    const browser = await stack.signedIn('bob');
    const before = browser.cookies(stack.publicUrl)['bff-session'];
    const done = await browser.follow(await browser.get(`${stack.publicUrl}/auth/login?prompt=none&returnTo=/silent`));
    expect(done.response.url).toBe(`${stack.publicUrl}/silent`);
    expect(done.visited.some((url) => url.includes('/interaction/'))).toBe(false);
    const after = browser.cookies(stack.publicUrl)['bff-session'];
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect((await browser.get(`${stack.publicUrl}/auth/user`, CSRF)).status).toBe(200);
  });

  it('keeps the browser\'s session when a silent login finds no IdP session', async () => {
    const signedIn = await stack.signedIn('carol');
    // The same BFF session, without the IdP's cookies: as after signing out of the IdP in another application.
    const browser = new TestBrowser();
    browser.jar.store(new URL(stack.publicUrl), [`bff-session=${signedIn.cookies(stack.publicUrl)['bff-session']}; Path=/`]);
    const done = await browser.follow(await browser.get(`${stack.publicUrl}/auth/login?prompt=none&returnTo=/here`));
    expect(done.response.url).toBe(`${stack.publicUrl}/here?bff_error=login_required`);
    expect((await browser.get(`${stack.publicUrl}/auth/user`, CSRF)).status).toBe(200);
  });

  it('answers an IdP error to a login that was not silent with the usual 401', async () => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const start = await browser.get(`${stack.publicUrl}/auth/login?returnTo=/x`);
    const state = new URL(start.location!).searchParams.get('state')!;
    const callback = await browser.get(`${stack.publicUrl}/auth/callback?error=login_required&state=${encodeURIComponent(state)}`);
    expect(callback.status).toBe(401);
    expect(JSON.parse(callback.body)).toMatchObject({ error: 'idp_error' });
  });
});
