import { isAutoSubmitPage, parseForms } from '../support/html-forms';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { BROWSER_ACCEPT, JSON_ACCEPT, type BrowserResponse, type TestBrowser } from '../support/test-browser';

describe('callback failures leave no session', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack({ CONSUMER_OPTIONAL: 'false' });
    await stack.app.admin('/consumers', { method: 'POST', body: JSON.stringify({ custom_id: 'user-alice' }) });
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function startLogin(browser: TestBrowser, returnTo = '/'): Promise<string> {
    const response = await browser.get(`${stack.publicUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    return new URL(response.location!).searchParams.get('state')!;
  }

  function expectNoSession(browser: TestBrowser, response: BrowserResponse): void {
    expect(response.setCookies.some((cookie) => cookie.startsWith('bff-session=') && !cookie.includes('Max-Age=0'))).toBe(false);
    expect(browser.cookies(stack.publicUrl)['bff-session']).toBeUndefined();
  }

  it.each([
    ['no state', () => '?code=abc', 'state_missing'],
    ['an unknown state', () => '?code=abc&state=never-issued', 'state_unknown'],
  ])('answers 400 for %s', async (_case, query, error) => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const response = await browser.get(`${stack.publicUrl}/auth/callback${query()}`);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error });
    expectNoSession(browser, response);
  });

  it('answers 400 for a state that belongs to another browser', async () => {
    const state = await startLogin(stack.browser());
    const stranger = stack.browser({ accept: JSON_ACCEPT });
    const response = await stranger.get(`${stack.publicUrl}/auth/callback?code=abc&state=${state}`);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'state_mismatch' });
    expectNoSession(stranger, response);
  });

  it('answers 400 when a completed callback is replayed', async () => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const login = await browser.loginWithForm(`${stack.publicUrl}/auth/login`, 'alice', 'alice-password');
    const callback = login.visited.find((url) => url.startsWith(`${stack.publicUrl}/auth/callback`))!;
    expect(callback).toContain('code=');
    const replay = await stack.browser().get(callback);
    expect(replay.status).toBe(400);
    const sameBrowser = await browser.get(callback);
    expect(sameBrowser.status).toBe(400);
    expect(JSON.parse(sameBrowser.body)).toMatchObject({ error: 'state_unknown' });
  });

  it('answers 401 when the IdP returns an error', async () => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const state = await startLogin(browser);
    const response = await browser.get(`${stack.publicUrl}/auth/callback?state=${state}&error=access_denied&error_description=no`);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'idp_error' });
    expectNoSession(browser, response);
  });

  it('answers 401 when the IdP rejects the code', async () => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const state = await startLogin(browser);
    const response = await browser.get(`${stack.publicUrl}/auth/callback?state=${state}&code=forged-code&iss=${encodeURIComponent(stack.idp.issuer)}`);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'code_rejected' });
    expectNoSession(browser, response);
  });

  it('answers 403 for a user that maps to no consumer', async () => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const login = await browser.loginWithForm(`${stack.publicUrl}/auth/login`, 'bob', 'bob-password');
    expect(login.response.status).toBe(403);
    expect(JSON.parse(login.response.body)).toMatchObject({ error: 'consumer_not_found' });
    expectNoSession(browser, login.response);
  });

  describe('in a browser (Accept: text/html), a failed login is a page, not raw JSON', () => {
    function expectFailurePage(response: BrowserResponse, status: number, code: string, retry: string): void {
      expect([response.status, response.headers['content-type']]).toEqual([status, 'text/html; charset=utf-8']);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toContain('<h1>Sign-in failed</h1>');
      expect(response.body).toContain(`<code>${code} (${status})</code>`);
      expect(response.body).toContain(`<a href="${retry}">Try again</a>`);
      expect(response.body).not.toMatch(/<script/i);
    }

    it('shows the IdP\'s refusal (401) with a link back to the page the login started from', async () => {
      const browser = stack.browser({ accept: BROWSER_ACCEPT });
      const state = await startLogin(browser, '/orders?tab=open');
      const response = await browser.get(`${stack.publicUrl}/auth/callback?state=${state}&error=access_denied`);
      expectFailurePage(response, 401, 'idp_error', '/auth/login?returnTo=%2Forders%3Ftab%3Dopen');
      expect(response.body).toContain('The identity provider refused the login.');
      expectNoSession(browser, response);
    });

    it('shows a rejected code (401)', async () => {
      const browser = stack.browser({ accept: BROWSER_ACCEPT });
      const state = await startLogin(browser, '/reports');
      const response = await browser.get(`${stack.publicUrl}/auth/callback?state=${state}&code=forged-code&iss=${encodeURIComponent(stack.idp.issuer)}`);
      expectFailurePage(response, 401, 'code_rejected', '/auth/login?returnTo=%2Freports');
      expectNoSession(browser, response);
    });

    it('shows a user without a consumer (403) after a real sign-in at the IdP', async () => {
      const browser = stack.browser({ accept: BROWSER_ACCEPT });
      const login = await browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=%2Fhome`, 'bob', 'bob-password');
      expectFailurePage(login.response, 403, 'consumer_not_found', '/auth/login?returnTo=%2Fhome');
      expectNoSession(browser, login.response);
    });

    it('offers a plain new login when the failed callback cannot say where it started (unknown state)', async () => {
      const browser = stack.browser({ accept: BROWSER_ACCEPT });
      const response = await browser.get(`${stack.publicUrl}/auth/callback?code=abc&state=never-issued`);
      expectFailurePage(response, 400, 'state_unknown', '/auth/login');
    });

    it('answers a login start it refuses with the page too (400), never offering the refused returnTo again', async () => {
      const browser = stack.browser({ accept: BROWSER_ACCEPT });
      const response = await browser.get(`${stack.publicUrl}/auth/login?returnTo=${encodeURIComponent('https://evil.example/')}`);
      expectFailurePage(response, 400, 'invalid_return_to', '/auth/login');
      expect(response.body).not.toContain('evil.example');
    });

    it('keeps JSON for a script that asks for anything (Accept: */*)', async () => {
      const browser = stack.browser({ accept: '*/*' });
      const state = await startLogin(browser);
      const response = await browser.get(`${stack.publicUrl}/auth/callback?state=${state}&error=access_denied`);
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'idp_error' });
    });
  });

  it('clears the pending-login cookie whether the callback succeeds or not', async () => {
    const browser = stack.browser();
    const state = await startLogin(browser);
    expect(Object.keys(browser.cookies(stack.publicUrl)).filter((name) => name.startsWith('bff-login-'))).toHaveLength(1);
    await browser.get(`${stack.publicUrl}/auth/callback?state=${state}&error=access_denied`);
    expect(Object.keys(browser.cookies(stack.publicUrl)).filter((name) => name.startsWith('bff-login-'))).toHaveLength(0);
  });

  it('keeps at most a handful of pending-login cookies per browser', async () => {
    const browser = stack.browser();
    for (let attempt = 0; attempt < 12; attempt += 1) await browser.get(`${stack.publicUrl}/auth/login`);
    expect(Object.keys(browser.cookies(stack.publicUrl)).filter((name) => name.startsWith('bff-login-')).length).toBeLessThanOrEqual(5);
  });
});

describe('login with response_mode=form_post', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack({ OIDC_RESPONSE_MODE: 'form_post' });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('asks for form_post and completes the login through a POST to /auth/callback', async () => {
    const start = await stack.browser().get(`${stack.publicUrl}/auth/login`);
    expect(new URL(start.location!).searchParams.get('response_mode')).toBe('form_post');
    const browser = await stack.signedIn('carol', '/after');
    const user = await browser.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' });
    expect(JSON.parse(user.body)).toMatchObject({ sub: 'user-carol' });
  });

  it('refuses a GET callback carrying the code (400, no session), and the form_post of it still completes', async () => {
    const browser = stack.browser({ accept: JSON_ACCEPT });
    const toIdp = await browser.follow(await browser.get(`${stack.publicUrl}/auth/login?returnTo=/after`));
    const loginForm = parseForms(toIdp.response.body).find((form) => 'username' in form.fields)!;
    let page = await browser.post(new URL(loginForm.action || toIdp.response.url, toIdp.response.url).href, {
      form: { ...loginForm.fields, username: 'carol', password: 'carol-password' },
    });
    while (page.location !== undefined && !isAutoSubmitPage(page.body)) page = await browser.get(page.location);
    const [answer] = parseForms(page.body);
    expect(answer?.fields['code']).toBeTruthy();

    const query = new URLSearchParams(answer.fields).toString();
    const viaGet = await browser.get(`${stack.publicUrl}/auth/callback?${query}`);
    expect(viaGet.status).toBe(400);
    expect(JSON.parse(viaGet.body)).toMatchObject({ error: 'response_mode_mismatch' });
    expect(viaGet.headers['cache-control']).toBe('no-store');
    expect(browser.cookies(stack.publicUrl)['bff-session']).toBeUndefined();

    const viaPost = await browser.post(`${stack.publicUrl}/auth/callback`, { form: answer.fields });
    expect(viaPost.status).toBe(302);
    expect(browser.cookies(stack.publicUrl)['bff-session']).toBeDefined();
  });
});
