import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ACR_SECOND_FACTOR } from '../../dev/idp/authentication-levels';
import { ALICE } from '../../dev/idp/idp-users';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from './chromium';
import { installClient, navigations, openLoggedSocket, settleWithin, socketLog, waitForExpression, waitForLogEntry } from './client-in-page';
import { startClientTestUpstream, type ClientTestUpstream } from './client-test-upstream';
import { startDemoStack, type DemoStack } from './demo-stack';

if (!chromiumInstalled) {
  process.stderr.write(`browser test skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium)\n`);
}
const describeInChromium = chromiumInstalled ? describe : describe.skip;

/** The client package's step-up and WebSocket handling against the real BFF, signed in as alice through the dev IdP. */
describeInChromium('the SPA client package in Chromium: step-up and WebSockets against the real BFF', () => {
  let test: ClientTestUpstream;
  let stack: DemoStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const socketUrls: string[] = [];

  beforeAll(async () => {
    test = await startClientTestUpstream();
    [stack, browser] = await Promise.all([startDemoStack(test.routes), launchChromium()]);
    context = await browser.newContext();
    page = await context.newPage();
    page.on('websocket', (socket) => socketUrls.push(socket.url()));
    await page.goto(`${stack.publicUrl}/auth/login?returnTo=%2F`);
    await page.locator('#username').fill(ALICE.username);
    await page.locator('#password').fill(ALICE.password);
    await page.locator('button[type="submit"]').click();
    await page.locator('[data-view="signed-in"]').waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
    await test?.upstream.stop();
  });

  async function openPage(path: string): Promise<void> {
    await page.goto(`${stack.publicUrl}${path}`);
    await installClient(page);
  }

  it('fetch() sends the browser to the login_url of a 401 step_up_required as given', async () => {
    await openPage('/reports?year=2026');
    const body = await page.evaluate<{ error: string; login_url: string }>(
      "bffTest.bff.fetch('/api/step-up', { loginOnUnauthorized: false }).then((r) => r.json())",
    );
    expect(body.error).toBe('step_up_required');
    expect(await settleWithin(page, "bffTest.bff.fetch('/api/step-up')")).toBe('pending');
    const [destination] = await navigations(page);
    expect(destination).toBe(body.login_url);
    const login = new URL(destination ?? '', stack.publicUrl);
    expect(login.pathname).toBe('/auth/login');
    expect(Object.fromEntries(login.searchParams)).toEqual({ returnTo: '/reports?year=2026', acr_values: ACR_SECOND_FACTOR });
  });

  it("fetch() returns an upstream's own step_up_required whose login_url leaves this origin instead of following it", async () => {
    await openPage('/reports');
    expect(await settleWithin(page, "bffTest.bff.fetch('/api/upstream-own-401').then((r) => r.status)")).toBe(401);
    expect(await navigations(page)).toEqual([]);
  });

  it('websocket() opens ws:// on the page origin, passes the Origin check, and echoes both ways', async () => {
    await openPage('/live');
    await openLoggedSocket(page, '/api/echo?room=1');
    await waitForLogEntry(page, 'open');
    expect(await page.evaluate("bffTest.socket.send('hello')")).toBe(true);
    await waitForLogEntry(page, 'message:hello');
    expect(socketUrls).toContain(`${stack.publicUrl.replace('http:', 'ws:')}/api/echo?room=1`);
    expect(test.upstream.handshakes.at(-1)?.origin).toBe(stack.publicUrl);
    await page.evaluate('bffTest.socket.close()');
    await waitForLogEntry(page, 'close:1000:');
  });

  it('a socket whose upstream drops the connection reconnects with backoff and carries messages again', async () => {
    await openPage('/live');
    await openLoggedSocket(page, '/api/echo');
    await waitForLogEntry(page, 'open');
    for (const socket of test.upstream.open()) socket.terminate();
    await waitForLogEntry(page, 'close:1006:');
    await waitForLogEntry(page, 'open', 2);
    expect(await page.evaluate("bffTest.socket.send('again')")).toBe(true);
    await waitForLogEntry(page, 'message:again');
    expect(await navigations(page)).toEqual([]);
    await page.evaluate('bffTest.socket.close()');
  });

  it('a socket closed with 1008 session_revoked (admin revocation) sends the browser to login, back to this page, without reconnecting', async () => {
    await openPage('/live?tab=2');
    await openLoggedSocket(page, '/api/echo');
    await waitForLogEntry(page, 'open');
    const opened = test.upstream.handshakes.length;
    expect((await stack.app.admin('/consumers/alice/sessions', { method: 'DELETE' })).status).toBe(204);
    await waitForLogEntry(page, 'close:1008:session_revoked');
    await waitForExpression(page, 'bffTest.navigations.length > 0');
    expect(await navigations(page)).toEqual(['/auth/login?returnTo=%2Flive%3Ftab%3D2']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(test.upstream.handshakes).toHaveLength(opened);
    expect(await socketLog(page)).toEqual(['open', 'close:1008:session_revoked']);
  });

  it('onSessionEnd replaces the login navigation and receives the close reason (sign-out in another tab)', async () => {
    // The IdP session outlived the revocation: this login comes straight back, signed in anew.
    await page.goto(`${stack.publicUrl}/auth/login?returnTo=%2Flive`);
    await page.waitForURL(`${stack.publicUrl}/live`);
    await installClient(page);
    await openLoggedSocket(page, '/api/echo', "onSessionEnd: (reason) => log.push('ended:' + reason),");
    await waitForLogEntry(page, 'open');
    const otherTab = await context.newPage();
    await otherTab.goto(stack.publicUrl);
    await otherTab.locator('[data-action="logout"]').click();
    await waitForExpression(page, "bffTest.log.some((entry) => entry.startsWith('ended:'))");
    expect((await socketLog(page)).filter((entry) => entry.startsWith('ended:'))).toEqual([expect.stringMatching(/^ended:session_(expired|revoked)$/)]);
    expect(await navigations(page)).toEqual([]);
  });
});
