import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/test-app';
import { TEST_ADMIN_TOKEN } from '../support/test-env';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from './chromium';

const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'browser');

if (!chromiumInstalled) {
  process.stderr.write(`browser test skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium)\n`);
}
const describeInChromium = chromiumInstalled ? describe : describe.skip;

describeInChromium(`the admin API's /docs in Chromium (${CHROMIUM_PATH})`, () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Errors the browser reported: refusals under the page's Content-Security-Policy, script errors. */
  const problems: string[] = [];
  /** Every answer of 400 or more the page received, by URL path. */
  const failures: [string, number][] = [];
  /** The Authorization headers the page sent, by URL path. */
  const authorizations: [string, string | undefined][] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [app, browser] = await Promise.all([startTestApp(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    page = await context.newPage();
    page.on('console', (message) => {
      // Failed loads are looked at by status (below); anything else is a problem.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push([new URL(response.url()).pathname, response.status()]);
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => authorizations.push([new URL(request.url()).pathname, request.headers()['authorization']]));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.stop();
  });

  const status = () => page.locator('#status').textContent();

  it('opens without a token and asks for one', async () => {
    const response = await page.goto(`${app.adminUrl}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('#admin-token').waitFor();
    expect(await page.locator('#swagger-ui').innerHTML()).toBe('');
    await page.screenshot({ path: join(SCREENSHOTS, 'docs-1-token.png') });
  });

  it('says so when the token is wrong, and shows nothing of the API', async () => {
    await page.locator('#admin-token').fill('a-wrong-admin-token-a-wrong-admin-token');
    await page.locator('button[type="submit"]').click();
    await page.locator('#status', { hasText: '401' }).waitFor();
    expect(await status()).toContain('That token was refused.');
    expect(await page.locator('#admin-token').inputValue()).toBe('');
    expect(await page.locator('#swagger-ui').innerHTML()).toBe('');
  });

  it('renders the API with the right token, under the page\'s policy, keeping the token in memory only', async () => {
    await page.locator('#admin-token').fill(TEST_ADMIN_TOKEN);
    await page.locator('button[type="submit"]').click();
    await page.locator('.swagger-ui .info .title', { hasText: 'BFF admin API' }).waitFor();
    expect(await page.locator('#token-form').isHidden()).toBe(true);
    expect(await page.locator('.opblock-summary-path').allTextContents()).toEqual(expect.arrayContaining(['/consumers', '/readyz']));
    await page.screenshot({ path: join(SCREENSHOTS, 'docs-2-rendered.png'), fullPage: true });

    expect(problems).toEqual([]);
    // The wrong token's refusal, and nothing else (no file the page asks for is missing).
    expect(failures).toEqual([['/openapi.json', 401]]);
    const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie + location.href');
    expect(stored).not.toContain(TEST_ADMIN_TOKEN);
    expect(await context.cookies()).toEqual([]);
    // Only the description itself was fetched with the token; the page and its files were not.
    expect(authorizations.filter(([, header]) => header !== undefined).map(([path]) => path)).toEqual(['/openapi.json', '/openapi.json']);
  });

  it("sends the token with Swagger UI's own calls (Try it out)", async () => {
    const operation = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path', { hasText: /^\/readyz$/ }) });
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/readyz');
    await operation.locator('button.execute').click();
    const response = await answered;
    // The IdP of this app is unreachable, so not ready: 503 (without the token it would be 401).
    expect(response.status()).toBe(503);
    expect(authorizations).toContainEqual(['/readyz', `Bearer ${TEST_ADMIN_TOKEN}`]);
    expect(problems).toEqual([]);
  });

  it('forgets the token on reload', async () => {
    await page.reload();
    await page.locator('#admin-token').waitFor();
    expect(await page.locator('#swagger-ui').innerHTML()).toBe('');
  });
});
