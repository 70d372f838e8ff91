import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { EXAMPLE_SPA_DIR } from '../../dev/demo-settings';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { freePort } from '../support/free-port';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from './chromium';
import { selfSignedCertificate, startTlsFront } from './tls-front';

/**
 * Chromium's own DBSC, not a stand-in: its network service generates the key (software keys: Linux has no TPM
 * provider), registers, and refreshes before requests, as Chrome 145+ does on Windows with a TPM. It only does so for
 * a secure origin with a certificate it trusts (plain http, localhost included, or --ignore-certificate-errors and it
 * silently does nothing), so the BFF sits behind a TLS front whose self-signed certificate Chromium is told to trust.
 */
const DBSC_FLAGS = [
  '--enable-features=DeviceBoundSessions:RequireOriginTrialTokens/false,DeviceBoundSessionsDevTools,EnableBoundSessionCredentialsSoftwareKeysForManualTesting',
];
const SESSION = '__Host-bff-session';
const BOUND = '__Host-bff-session-bound';

interface DbscEvent {
  succeeded: boolean;
  creationEventDetails?: { fetchResult: string };
  refreshEventDetails?: { refreshResult: string; fetchResult?: string };
  terminationEventDetails?: unknown;
}

const certificate = chromiumInstalled ? selfSignedCertificate() : undefined;
if (!chromiumInstalled) process.stderr.write(`DBSC browser test skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium)\n`);
else if (!certificate) process.stderr.write('DBSC browser test skipped: no openssl to make the TLS certificate with\n');
const describeInChromium = certificate ? describe : describe.skip;

describeInChromium(`device-bound sessions in Chromium's own DBSC (${CHROMIUM_PATH})`, () => {
  let idp: DevIdp;
  let api: EchoUpstream;
  let app: TestApp;
  let front: { stop(): Promise<void> };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let publicUrl: string;
  const events: DbscEvent[] = [];

  beforeAll(async () => {
    if (!certificate) return;
    const bffPort = await freePort();
    const frontPort = await freePort();
    publicUrl = `https://127.0.0.1:${frontPort}`;
    [idp, api, browser] = await Promise.all([
      startDevIdp({ redirectUris: [`${publicUrl}/auth/callback`], postLogoutRedirectUris: [`${publicUrl}/`] }),
      startEchoUpstream(),
      launchChromium([...DBSC_FLAGS, `--ignore-certificate-errors-spki-list=${certificate.spkiPin}`]),
    ]);
    app = await startTestApp({
      PORT: String(bffPort),
      PUBLIC_URL: publicUrl,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      UPSTREAM_URL: api.url,
      SPA_DIR: EXAMPLE_SPA_DIR,
      CONSUMER_OPTIONAL: 'true',
      SESSION_DEVICE_BINDING: 'on',
    });
    front = await startTlsFront(frontPort, bffPort, certificate);
    context = await browser.newContext();
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    cdp.on('Network.deviceBoundSessionEventOccurred', (event: DbscEvent) => events.push(event));
    await cdp.send('Network.enable');
    await cdp.send('Network.enableDeviceBoundSessions', { enable: true });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await front?.stop();
    await app?.stop();
    await Promise.all([idp?.stop(), api?.stop()]);
  });

  const call = (target: Page, path: string) =>
    target.evaluate<{ status: number; body: Record<string, unknown> }, string>(
      async (url) => {
        const response = await fetch(url, { headers: { 'X-CSRF': '1' } });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      },
      path,
    );
  const cookie = async (name: string) => (await context.cookies(publicUrl)).find((candidate) => candidate.name === name);

  it('binds the session at login: Chromium registers a device key and receives the bound cookie', async () => {
    await page.goto(`${publicUrl}/auth/login?returnTo=%2F`);
    await page.locator('#username').fill('alice');
    await page.locator('#password').fill('alice-password');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${publicUrl}/`);

    const created = await waitFor(() => events.find((event) => event.creationEventDetails), undefined, { what: 'Chromium to register a DBSC session' });
    expect(created).toMatchObject({ succeeded: true, creationEventDetails: { fetchResult: 'Success' } });
    // The registration's answer sets the bound cookie; Chromium may report the session before the cookie is stored.
    const bound = await waitFor(() => cookie(BOUND), undefined, { what: 'the bound cookie' });
    expect(bound).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect((await call(page, '/auth/user')).body).toMatchObject({ session: { device_bound: true } });
    expect((await call(page, '/api/orders')).status).toBe(200);
  });

  it('refreshes a missing bound cookie with a proof of its key before the next API call, which then passes', async () => {
    await context.clearCookies({ name: BOUND });
    const before = events.length;

    expect((await call(page, '/api/orders')).status).toBe(200);

    // Chromium's DevTools events arrive on their own channel, possibly after the call's answer.
    const refreshed = await waitFor(() => events.slice(before).find((event) => event.refreshEventDetails), undefined, { what: 'Chromium to report the refresh' });
    expect(refreshed).toMatchObject({ succeeded: true, refreshEventDetails: expect.objectContaining({ refreshResult: 'Refreshed' }) as unknown });
    expect(await waitFor(() => cookie(BOUND), undefined, { what: 'the renewed bound cookie' })).toBeDefined();
  });

  it('refuses the session cookie copied into another browser: 401 device_binding_required, and the device carries on', async () => {
    const stolen = await cookie(SESSION);
    const thief = await browser.newContext();
    try {
      await thief.addCookies([{ name: SESSION, value: stolen?.value ?? '', url: publicUrl, secure: true, httpOnly: true, sameSite: 'Lax' }]);
      const elsewhere = await thief.newPage();
      await elsewhere.goto(`${publicUrl}/`);
      expect(await call(elsewhere, '/api/orders')).toEqual({ status: 401, body: expect.objectContaining({ error: 'device_binding_required' }) as unknown });
    } finally {
      await thief.close();
    }
    expect((await call(page, '/api/orders')).status).toBe(200);
  });

  it('ends Chromium\'s DBSC session with the BFF session: after logout its refresh is refused (401) and it drops the session', async () => {
    const { logoutUrl } = (await call(page, '/auth/user')).body as { logoutUrl: string };
    const before = events.length;

    // Logout clears both cookies; back on the app, the first call that needs the bound cookie makes Chromium refresh.
    await page.goto(`${publicUrl}${logoutUrl}`);
    await page.waitForURL((url) => url.origin === publicUrl && url.pathname === '/');
    await call(page, '/auth/user');

    const ended = await waitFor(() => events.slice(before).find((event) => event.terminationEventDetails), undefined, { what: 'Chromium to end its DBSC session' });
    expect(ended).toMatchObject({ terminationEventDetails: { deletionReason: 'RefreshFatalError' } });
    expect(events.slice(before)).toContainEqual(expect.objectContaining({ succeeded: false, refreshEventDetails: expect.objectContaining({ failedRequest: expect.objectContaining({ responseError: 401 }) as unknown }) as unknown }));
    expect(await cookie(BOUND)).toBeUndefined();
  });
});
