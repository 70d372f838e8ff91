import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from './chromium';
import { installClient, navigations, openLoggedSocket, settleWithin, socketLog, waitForExpression, waitForLogEntry } from './client-in-page';
import { startContractStandIn, STEP_UP, type ContractStandIn } from './contract-stand-in';

if (!chromiumInstalled) {
  process.stderr.write(`browser test skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium)\n`);
}
const describeInChromium = chromiumInstalled ? describe : describe.skip;

/**
 * The client package against the contract lines this branch's BFF does not serve yet (step-up, silent login's
 * `bff_error`, WebSocket 1008). Each test names the stand-in; see client-package.e2e-spec.ts for the real BFF.
 */
describeInChromium('the SPA client package in Chromium, against the contract stand-in', () => {
  let standIn: ContractStandIn;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [standIn, browser] = await Promise.all([startContractStandIn(), launchChromium()]);
  });

  beforeEach(async () => {
    page = await browser.newPage();
  });

  afterEach(async () => {
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await standIn?.stop();
  });

  async function openPage(path: string): Promise<void> {
    await page.goto(`${standIn.url}${path}`);
    await installClient(page);
  }

  it('fetch() sends the browser to the login_url of a 401 step_up_required as given (contract stand-in)', async () => {
    await openPage('/reports?year=2026');
    expect(await settleWithin(page, "bffTest.bff.fetch('/api/step-up')")).toBe('pending');
    const [destination] = await navigations(page);
    const login = new URL(destination, standIn.url);
    expect(login.pathname).toBe('/auth/login');
    expect(Object.fromEntries(login.searchParams)).toEqual({
      returnTo: '/reports?year=2026',
      acr_values: STEP_UP.acrValues,
      max_age: String(STEP_UP.maxAge),
    });
  });

  it('fetch() returns a step_up_required whose login_url leaves this origin instead of following it (contract stand-in)', async () => {
    await openPage('/reports');
    expect(await settleWithin(page, "bffTest.bff.fetch('/api/upstream-own-401').then((r) => r.status)")).toBe(401);
    expect(await navigations(page)).toEqual([]);
  });

  it('silentLogin() without a session goes to /auth/login?prompt=none and, back with bff_error (contract stand-in), reports false', async () => {
    await openPage('/inbox?folder=work#message-7');
    const left = page.waitForURL((url) => url.searchParams.has('bff_error'));
    await page.evaluate('void bffTest.real.silentLogin()');
    await left;
    expect(standIn.logins.map((query) => Object.fromEntries(query))).toEqual([
      { prompt: 'none', returnTo: '/inbox?folder=work#message-7' },
    ]);
    expect(page.url()).toBe(`${standIn.url}/inbox?folder=work&bff_error=login_required#message-7`);

    await installClient(page);
    expect(await settleWithin(page, 'bffTest.real.silentLogin()')).toBe(false);
    expect(page.url()).toBe(`${standIn.url}/inbox?folder=work#message-7`);
    expect(standIn.logins).toHaveLength(1);
  });

  it('websocket() opens ws:// on the page origin, carrying Origin, and echoes both ways (contract stand-in)', async () => {
    await openPage('/live');
    await openLoggedSocket(page, '/api/live?room=1');
    await waitForLogEntry(page, 'open');
    expect(await page.evaluate("bffTest.socket.send('hello')")).toBe(true);
    await waitForLogEntry(page, 'message:echo:hello');
    expect(standIn.handshakes.at(-1)).toEqual({ path: '/api/live?room=1', origin: standIn.url });
    await page.evaluate('bffTest.socket.close()');
    await waitForLogEntry(page, 'close:1000:');
  });

  it('a socket whose connection breaks (contract stand-in) reconnects with backoff and carries messages again', async () => {
    await openPage('/live');
    await openLoggedSocket(page, '/api/live');
    await waitForLogEntry(page, 'open');
    standIn.dropSockets();
    await waitForLogEntry(page, 'close:1006:');
    await waitForLogEntry(page, 'open', 2);
    expect(await page.evaluate("bffTest.socket.send('again')")).toBe(true);
    await waitForLogEntry(page, 'message:echo:again');
    expect(await navigations(page)).toEqual([]);
    await page.evaluate('bffTest.socket.close()');
  });

  it('a socket closed with 1008 session_revoked (contract stand-in) sends the browser to login, back to this page, without reconnecting', async () => {
    await openPage('/live?tab=2');
    await openLoggedSocket(page, '/api/live');
    await waitForLogEntry(page, 'open');
    const opened = standIn.handshakes.length;
    standIn.endSession('session_revoked');
    await waitForLogEntry(page, 'close:1008:session_revoked');
    await waitForExpression(page, 'bffTest.navigations.length > 0');
    expect(await navigations(page)).toEqual(['/auth/login?returnTo=%2Flive%3Ftab%3D2']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(standIn.handshakes).toHaveLength(opened);
    expect(await socketLog(page)).toEqual(['open', 'close:1008:session_revoked']);
  });

  it('onSessionEnd replaces the login navigation and receives the close reason (contract stand-in)', async () => {
    await openPage('/live');
    await openLoggedSocket(page, '/api/live', "onSessionEnd: (reason) => log.push('ended:' + reason),");
    await waitForLogEntry(page, 'open');
    standIn.endSession('refresh_failed');
    await waitForLogEntry(page, 'ended:refresh_failed');
    expect(await navigations(page)).toEqual([]);
  });
});
