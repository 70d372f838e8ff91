import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from './chromium';
import { waitForExpression } from './client-in-page';
import { startDemoStack, type DemoStack } from './demo-stack';

const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'browser');
/** A compact JWT (header.payload.signature), as an access, refresh or ID token would be. */
const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;

if (!chromiumInstalled) {
  process.stderr.write(`browser test skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium)\n`);
}
const describeInChromium = chromiumInstalled ? describe : describe.skip;

describeInChromium(`the example SPA in Chromium (${CHROMIUM_PATH})`, () => {
  let stack: DemoStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Bodies of every BFF response the browser received, to prove no token ever reached it. */
  const bffBodies: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [stack, browser] = await Promise.all([startDemoStack(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
    page = await context.newPage();
    page.on('response', (response) => {
      if (!response.url().startsWith(stack.publicUrl)) return;
      response.text().then((body) => bffBodies.push(body), () => undefined);
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  const shot = (name: string, fullPage = false) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
  const sessionCookie = async () => (await context.cookies(stack.publicUrl)).find((cookie) => cookie.name === 'bff-session');

  it('shows the signed-out page to a visitor without a session', async () => {
    await page.goto(stack.publicUrl);
    await page.locator('[data-view="signed-out"]').waitFor();
    expect(await page.locator('[data-action="login"]').getAttribute('href')).toBe('/auth/login?returnTo=%2F');
    await shot('1-signed-out');
  });

  it('signs in on the IdP form and lands back on the SPA, signed in', async () => {
    await page.locator('[data-action="login"]').click();
    await page.waitForURL((url) => url.href.startsWith(stack.idp.issuer));
    await page.locator('#username').fill('alice');
    await page.locator('#password').fill('alice-password');
    await shot('2-idp-sign-in');
    await page.locator('button[type="submit"]').click();

    await page.locator('[data-view="signed-in"]').waitFor();
    expect(page.url()).toBe(`${stack.publicUrl}/`);
    expect(await page.locator('[data-slot="name"]').textContent()).toBe('Alice Admin');
    expect(await page.locator('[data-slot="sub"]').textContent()).toBe('user-alice');
    expect(await page.locator('[data-slot="groups"] .chip').allTextContents()).toEqual(['admins', 'users']);
    expect(await page.locator('[data-slot="consumer"]').textContent()).toMatch(/^alice \(id [0-9a-f-]{36}\)$/);
    await shot('3-signed-in');
  });

  it('keeps the session in one HttpOnly cookie that scripts cannot read, and no token anywhere in the page', async () => {
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const scriptVisible = await page.evaluate<string>('document.cookie');
    expect(scriptVisible).not.toContain('bff-session');
    expect(scriptVisible).not.toMatch(JWT);
    const storage = await page.evaluate<string>('JSON.stringify({ ...localStorage, ...sessionStorage })');
    expect(storage).not.toMatch(JWT);
    expect(await page.content()).not.toMatch(JWT);
  });

  it('calls the demo API through the BFF, which forwards a bearer token and identity headers', async () => {
    await page.locator('[data-action="call-api"]').click();
    const result = page.locator('[data-view="api-result"]');
    await result.waitFor();
    expect(await result.locator('[data-slot="status"]').textContent()).toBe('HTTP 200');
    const received = await result.locator('[data-slot="received"]').innerText();
    expect(received).toMatch(/Authorization\s+Bearer eyJ\w{7}… \(redacted, \d{3,} chars\)/);
    expect(received).toMatch(/x-consumer-username\s+alice/);
    expect(received).toMatch(/x-credential-identifier\s+user-alice/);
    expect(received).toMatch(/x-authenticated-groups\s+admins, ?users/);
    expect(received).toMatch(/x-user-email\s+alice@example\.test/);
    expect(received).toMatch(/Cookies\s+none/);
    const headerNames = await result.locator('[data-slot="header-names"] .chip').allTextContents();
    expect(headerNames).toEqual(expect.arrayContaining(['authorization', 'x-consumer-id', 'x-forwarded-for']));
    expect(headerNames).not.toContain('x-csrf');
    await shot('4-api-called', true);

    expect(await page.content()).not.toMatch(JWT);
    expect(bffBodies.length).toBeGreaterThan(3);
    for (const body of bffBodies) expect(body).not.toMatch(JWT);
  });

  it('after an admin revokes the session, the next API call signs in again through the IdP and comes back signed in', async () => {
    const before = await sessionCookie();
    expect((await stack.app.admin('/consumers/alice/sessions', { method: 'DELETE' })).status).toBe(204);
    await page.evaluate('window.beforeRevocation = true');
    const toLogin = page.waitForRequest((request) => request.url().startsWith(`${stack.publicUrl}/auth/login?returnTo=%2F`));
    await page.locator('[data-action="call-api"]').click();
    await toLogin;
    // The IdP's own session is still alive, so no form: straight back to a fresh page of the SPA, signed in anew.
    await waitForExpression(page, `!window.beforeRevocation && document.querySelector('[data-view="signed-in"]') !== null`);
    expect(page.url()).toBe(`${stack.publicUrl}/`);
    expect((await sessionCookie())?.value).not.toBe(before?.value);
  });

  it('signs out at the BFF and the IdP and shows the signed-out page again', async () => {
    await page.locator('[data-action="logout"]').click();
    // The IdP returns the browser with the logout request's `state` in the query.
    await page.waitForURL((url) => `${url.origin}${url.pathname}` === `${stack.publicUrl}/` && url.searchParams.has('state'));
    await page.locator('[data-view="signed-out"]').waitFor();
    expect(await sessionCookie()).toBeUndefined();
    const status = await page.evaluate<number>("fetch('/auth/user', { headers: { 'X-CSRF': '1' } }).then((r) => r.status)");
    expect(status).toBe(401);
    await shot('5-signed-out-again');
  });
});
