import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from './chromium';

const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'browser');

if (!chromiumInstalled) {
  process.stderr.write(`browser test skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium)\n`);
}
const describeInChromium = chromiumInstalled ? describe : describe.skip;

describeInChromium(`a failed sign-in in Chromium (${CHROMIUM_PATH})`, () => {
  let stack: LoginStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // bob has no consumer, and logins without one are refused (403).
    [stack, browser] = await Promise.all([startLoginStack({ CONSUMER_OPTIONAL: 'false' }), launchChromium()]);
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('lands on a page that says why, with a way to try again, instead of raw JSON', async () => {
    await page.goto(`${stack.publicUrl}/auth/login?returnTo=%2Freports%3Fyear%3D2026`);
    await page.locator('#username').fill('bob');
    await page.locator('#password').fill('bob-password');
    const callback = page.waitForResponse((response) => new URL(response.url()).pathname === '/auth/callback');
    await page.locator('button[type="submit"]').click();

    const answer = await callback;
    expect(answer.status()).toBe(403);
    expect(answer.headers()['content-type']).toBe('text/html; charset=utf-8');
    await page.locator('h1', { hasText: 'Sign-in failed' }).waitFor();
    expect(await page.locator('main p').first().textContent()).toBe('No consumer is mapped to this identity.');
    expect(await page.locator('a', { hasText: 'Try again' }).getAttribute('href')).toBe('/auth/login?returnTo=%2Freports%3Fyear%3D2026');
    await page.screenshot({ path: join(SCREENSHOTS, 'login-failed.png') });
  });

  it('"Try again" starts a new login for the same page', async () => {
    const again = page.waitForRequest((request) => request.url() === `${stack.publicUrl}/auth/login?returnTo=%2Freports%3Fyear%3D2026`);
    await page.locator('a', { hasText: 'Try again' }).click();
    await again;
    // The IdP session is alive, so back at once, and refused again: the same page, not JSON.
    await page.locator('h1', { hasText: 'Sign-in failed' }).waitFor();
  });
});
