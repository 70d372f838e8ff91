import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from './chromium';
import { CLIENT_MODULE, installClient, navigations, openLoggedSocket, settleWithin, waitForExpression } from './client-in-page';
import { startDemoStack, type DemoStack } from './demo-stack';

if (!chromiumInstalled) {
  process.stderr.write(`browser test skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium)\n`);
}
const describeInChromium = chromiumInstalled ? describe : describe.skip;

/** A page with a query and a fragment, so that `returnTo` must carry all of `location`. */
const PAGE = '/orders?tab=2#top';
const LOGIN_BACK_TO_PAGE = '/auth/login?returnTo=%2Forders%3Ftab%3D2%23top';

/** The client package served by the real BFF with the example SPA: the real dev IdP, Redis and Postgres behind it. */
describeInChromium('the SPA client package in Chromium, against the real BFF', () => {
  let stack: DemoStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startDemoStack(), launchChromium()]);
    context = await browser.newContext();
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  async function openPage(path: string): Promise<void> {
    await page.goto(`${stack.publicUrl}${path}`);
    await installClient(page);
  }

  async function signInOnIdpForm(): Promise<void> {
    await page.waitForURL((url) => url.href.startsWith(stack.idp.issuer));
    await page.locator('#username').fill('alice');
    await page.locator('#password').fill('alice-password');
    await page.locator('button[type="submit"]').click();
  }

  it('without a session, user() is null and fetch() sends the browser to login with returnTo = the current page', async () => {
    await openPage(PAGE);
    expect(await page.evaluate('bffTest.bff.user()')).toBeNull();
    expect(await settleWithin(page, "bffTest.bff.fetch('/api/hello')")).toBe('pending');
    expect(await navigations(page)).toEqual([LOGIN_BACK_TO_PAGE]);
  });

  it('fetch() with loginOnUnauthorized: false hands back the 401 not_authenticated and stays', async () => {
    const answer = await page.evaluate<{ status: number; body: { error: string; login_url: string } }>(
      "bffTest.bff.fetch('/api/hello', { loginOnUnauthorized: false }).then(async (r) => ({ status: r.status, body: await r.json() }))",
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('not_authenticated');
    expect(answer.body.login_url).toMatch(/^\/auth\/login\?returnTo=/);
    expect(await navigations(page)).toEqual([LOGIN_BACK_TO_PAGE]);
  });

  it('silentLogin() without a session goes to /auth/login?prompt=none and, back with bff_error from the real IdP, reports false', async () => {
    const fresh = await browser.newContext();
    const silent = await fresh.newPage();
    const logins: Record<string, string>[] = [];
    silent.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === stack.publicUrl && url.pathname === '/auth/login') logins.push(Object.fromEntries(url.searchParams));
    });
    await silent.goto(`${stack.publicUrl}/inbox?folder=work#message-7`);
    await installClient(silent);
    const left = silent.waitForURL((url) => url.searchParams.has('bff_error'));
    await silent.evaluate('void bffTest.real.silentLogin()');
    await left;
    expect(logins).toEqual([{ prompt: 'none', returnTo: '/inbox?folder=work#message-7' }]);
    expect(silent.url()).toBe(`${stack.publicUrl}/inbox?folder=work&bff_error=login_required#message-7`);

    await installClient(silent);
    expect(await settleWithin(silent, 'bffTest.real.silentLogin()')).toBe(false);
    expect(silent.url()).toBe(`${stack.publicUrl}/inbox?folder=work#message-7`);
    expect(logins).toHaveLength(1);
    await fresh.close();
  });

  it('following that login through the real IdP brings the browser back to the same page, fragment included', async () => {
    await page.evaluate("void bffTest.real.fetch('/api/hello')");
    await signInOnIdpForm();
    await page.waitForURL(`${stack.publicUrl}${PAGE}`);
    await installClient(page);
    expect(await page.evaluate('bffTest.bff.user().then((user) => user.sub)')).toBe('user-alice');
  });

  it('user() returns the /auth/user body: identity and logoutUrl, no token', async () => {
    const user = await page.evaluate<{ sub: string; groups: string[]; consumer: { username: string }; logoutUrl: string }>('bffTest.bff.user()');
    expect(user).toMatchObject({ sub: 'user-alice', groups: ['admins', 'users'], consumer: { username: 'alice' } });
    expect(user.logoutUrl).toMatch(/^\/auth\/logout\?sid=/);
    expect(JSON.stringify(user)).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
  });

  it('fetch() adds the CSRF header and same-origin credentials: the API answers 200 where a bare fetch gets 403', async () => {
    const status = (expression: string) => page.evaluate<number>(`${expression}.then((r) => r.status)`);
    expect(await status("bffTest.bff.fetch('/api/hello?from=client', { headers: { accept: 'application/json' } })")).toBe(200);
    expect(await status("bffTest.bff.fetch(new Request('/api/hello', { headers: { accept: 'application/json' } }))")).toBe(200);
    expect(await page.evaluate("fetch('/api/hello').then((r) => r.json()).then((b) => b.error)")).toBe('csrf_header_missing');
    const wrongHeader = `import('${CLIENT_MODULE}').then(({ createBffClient }) =>
      createBffClient({ csrfHeader: 'X-Not-The-Bffs', navigate: () => undefined }).fetch('/api/hello'))`;
    expect(await status(wrongHeader)).toBe(403);
    const echoed = await page.evaluate<{ query: Record<string, string>; cookieNames: string[] }>(
      "bffTest.bff.fetch('/api/hello?from=client').then((r) => r.json())",
    );
    expect(echoed.query).toEqual({ from: 'client' });
    expect(echoed.cookieNames).toEqual([]);
  });

  it('silentLogin() with a live session reports true without leaving the page', async () => {
    expect(await settleWithin(page, 'bffTest.bff.silentLogin()')).toBe(true);
    expect(await navigations(page)).toEqual([]);
  });

  it('login() names the login parameters in /auth/login as the contract spells them', async () => {
    await page.evaluate(`bffTest.bff.login({
      returnTo: '/settings', prompt: 'login', maxAge: 0, acrValues: ['urn:a', 'urn:b'], loginHint: 'alice', uiLocales: 'de en',
    })`);
    const [destination] = await navigations(page);
    expect(destination).toBe('/auth/login?returnTo=%2Fsettings&prompt=login&max_age=0&acr_values=urn%3Aa%20urn%3Ab&login_hint=alice&ui_locales=de%20en');
    expect(await page.evaluate("bffTest.bff.loginUrl({ returnTo: '/' })")).toBe('/auth/login?returnTo=%2F');
  });

  it('a session revoked through the admin API turns the next fetch() into a login back to this page (session_revoked)', async () => {
    await installClient(page);
    expect((await stack.app.admin('/consumers/alice/sessions', { method: 'DELETE' })).status).toBe(204);
    const reason = await page.evaluate("bffTest.bff.fetch('/api/hello', { loginOnUnauthorized: false }).then((r) => r.json()).then((b) => b.error)");
    expect(reason).toBe('session_revoked');
    expect(await settleWithin(page, "bffTest.bff.fetch('/api/hello')")).toBe('pending');
    expect(await navigations(page)).toEqual([LOGIN_BACK_TO_PAGE]);
  });

  it('websocket() whose handshake the BFF refuses for want of a session sends the browser to login instead of retrying', async () => {
    await installClient(page);
    await openLoggedSocket(page, '/api/live');
    await waitForExpression(page, 'bffTest.navigations.length > 0');
    expect(await navigations(page)).toEqual([LOGIN_BACK_TO_PAGE]);
    expect(await page.evaluate('bffTest.log')).toEqual(['close:1006:']);
  });

  it('logout() ends the session at the BFF and the IdP and lands on the post-logout page', async () => {
    await page.evaluate("void bffTest.real.login({ returnTo: '/' })");
    await page.waitForURL(`${stack.publicUrl}/`);
    await page.locator('[data-view="signed-in"]').waitFor();
    await installClient(page);
    await page.evaluate('void bffTest.real.logout()');
    await page.waitForURL((url) => url.href.startsWith(stack.idp.issuer));
    // The IdP returns the browser with the logout request's `state` in the query.
    await page.waitForURL((url) => `${url.origin}${url.pathname}` === `${stack.publicUrl}/` && url.searchParams.has('state'));
    expect((await context.cookies(stack.publicUrl)).map((cookie) => cookie.name)).not.toContain('bff-session');
    await installClient(page);
    expect(await page.evaluate('bffTest.bff.user()')).toBeNull();
  });
});
