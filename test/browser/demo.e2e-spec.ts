import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ACR_PASSWORD, ACR_SECOND_FACTOR, ONE_TIME_CODE } from '../../dev/idp/authentication-levels';
import { ALICE, BOB } from '../../dev/idp/idp-users';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from './chromium';
import { waitForExpression } from './client-in-page';
import { startDemoStack, type DemoStack } from './demo-stack';

const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'browser');

if (!chromiumInstalled) {
  process.stderr.write(`browser test skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium)\n`);
}
const describeInChromium = chromiumInstalled ? describe : describe.skip;

/** `npm run demo`'s three panels, as a user sees them: the admins-only route, step-up and the live WebSocket feed. */
describeInChromium('the demo in Chromium: admins-only route, step-up, live feed', () => {
  let stack: DemoStack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startDemoStack(), launchChromium()]);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await stack?.stop();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
    contexts.push(context);
    return context.newPage();
  }

  async function signIn(page: Page, user: { username: string; password: string }): Promise<void> {
    await page.goto(stack.publicUrl);
    await page.locator('[data-action="login"]').click();
    await page.waitForURL((url) => url.href.startsWith(stack.idp.issuer));
    await page.locator('#username').fill(user.username);
    await page.locator('#password').fill(user.password);
    await page.locator('button[type="submit"]').click();
    await page.locator('[data-view="signed-in"]').waitFor();
  }

  const text = (page: Page, selector: string) => page.locator(selector).innerText();

  it('the live panel receives ticks, and shows the 1008 close when the user signs out in another tab', async () => {
    const page = await newPage();
    await signIn(page, ALICE);
    await waitForExpression(page, `Number(document.querySelector('[data-view="live"]').dataset.ticks ?? 0) >= 2`);
    expect(await text(page, '[data-view="live"] [data-slot="state"]')).toBe('open');
    expect(await text(page, '[data-view="live"] [data-slot="messages"]')).toMatch(/tick \(as alice\)/);

    const otherTab = await page.context().newPage();
    await otherTab.goto(stack.publicUrl);
    await otherTab.locator('[data-action="logout"]').click();
    const ended = page.locator('[data-view="live"] [data-slot="ended"]');
    await ended.waitFor({ timeout: 5_000 });
    // A sign-out elsewhere revokes the session: the socket closes with that reason.
    expect(await ended.innerText()).toBe('Closed by the BFF with 1008: session ended: session_revoked. Sign in again');
    expect(await text(page, '[data-view="live"] [data-slot="state"]')).toBe('closed 1008');
    expect(page.url()).toBe(`${stack.publicUrl}/`);
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-live-closed.png'), fullPage: true });
  });

  it('the admins-only route answers alice 200 and bob 403 with the BFF JSON', async () => {
    const alice = await newPage();
    await signIn(alice, ALICE);
    await alice.locator('[data-panel="admin"] [data-action="call"]').click();
    await alice.locator('[data-panel="admin"] [data-slot="status"]').waitFor();
    expect(await text(alice, '[data-panel="admin"] [data-slot="status"]')).toBe('HTTP 200');
    expect(await text(alice, '[data-panel="admin"] [data-slot="body"]')).toBe('reached the upstream at /admin as alice');

    const bob = await newPage();
    await signIn(bob, BOB);
    await bob.locator('[data-panel="admin"] [data-action="call"]').click();
    await bob.locator('[data-panel="admin"] [data-slot="status"]').waitFor();
    expect(await text(bob, '[data-panel="admin"] [data-slot="status"]')).toBe('HTTP 403');
    const body: unknown = JSON.parse(await text(bob, '[data-panel="admin"] [data-slot="body"]'));
    expect(body).toMatchObject({ error: 'insufficient_groups' });
  });

  it('the step-up route sends alice through the one-time code and back, where the call succeeds', async () => {
    const page = await newPage();
    await signIn(page, ALICE);
    expect(await text(page, '[data-slot="acr"]')).toBe(ACR_PASSWORD);
    const stepUpLogin = page.waitForRequest((request) => request.url().startsWith(`${stack.publicUrl}/auth/login?`));
    await page.locator('[data-panel="step-up"] [data-action="call"]').click();
    const login = new URL((await stepUpLogin).url());
    expect(Object.fromEntries(login.searchParams)).toEqual({ returnTo: '/', acr_values: ACR_SECOND_FACTOR });

    await page.waitForURL((url) => url.href.startsWith(stack.idp.issuer));
    await page.locator('#username').fill(ALICE.username);
    await page.locator('#password').fill(ALICE.password);
    await page.locator('#otp').fill(ONE_TIME_CODE);
    await page.locator('button[type="submit"]').click();

    await page.locator('[data-panel="step-up"] [data-slot="status"]').waitFor();
    expect(page.url()).toBe(`${stack.publicUrl}/`);
    expect(await text(page, '[data-panel="step-up"] [data-slot="status"]')).toBe('HTTP 200');
    expect(await text(page, '[data-panel="step-up"] [data-slot="body"]')).toBe('reached the upstream at /step-up as alice');
    expect(await text(page, '[data-slot="acr"]')).toBe(ACR_SECOND_FACTOR);
  });
});
