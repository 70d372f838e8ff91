import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoUpstream, type EchoBody, type EchoUpstream } from '../support/echo-upstream';
import { onFreePort } from '../support/free-port';
import { startMockServerIdp, type MockServerIdp } from '../support/mock-server-idp';
import { startTestApp, type TestApp } from '../support/test-app';
import { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };

// The core flows against a second, independent implementation (the dev IdP's oidc-provider covers them elsewhere).
describe('the core flows against oauth2-mock-server', () => {
  let idp: MockServerIdp;
  let upstream: EchoUpstream;
  let app: TestApp;
  let publicUrl: string;

  beforeAll(async () => {
    // Tokens said to live 30 s, refreshed within 60 s of expiry: every proxied call refreshes.
    idp = await startMockServerIdp(30);
    upstream = await startEchoUpstream();
    const routesFile = join(tmpdir(), `bff-mock-routes-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(routesFile, `routes:\n  - path: /machines\n    upstream: ${upstream.url}\n    auth: bearer\n`);
    app = await onFreePort((port) => {
      publicUrl = `http://127.0.0.1:${port}`;
      return startTestApp({
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: 'bff',
        OIDC_CLIENT_SECRET: 'bff-secret',
        CONSUMER_OPTIONAL: 'true',
        UPSTREAM_URL: upstream.url,
        ROUTES_FILE: routesFile,
        TOKEN_REFRESH_SKEW: '60',
      });
    });
  });
  afterAll(async () => {
    await app?.stop();
    await upstream?.stop();
    await idp?.stop();
  });

  async function signIn(): Promise<TestBrowser> {
    const browser = new TestBrowser();
    const start = await browser.get(`${publicUrl}/auth/login?returnTo=/home`);
    const authorize = await browser.get(start.location ?? '');
    const callback = await browser.get(authorize.location ?? '');
    expect([callback.status, callback.location]).toEqual([302, `${publicUrl}/home`]);
    return browser;
  }

  async function callApi(browser: TestBrowser) {
    const response = await browser.get(`${publicUrl}/api/things`, CSRF);
    return { status: response.status, body: JSON.parse(response.body) as EchoBody };
  }

  it('logs in with PKCE and a nonce, and /auth/user shows the verified ID token claims', async () => {
    const browser = await signIn();
    const user = await browser.get(`${publicUrl}/auth/user`, CSRF);

    expect(user.status).toBe(200);
    expect(JSON.parse(user.body)).toMatchObject({ sub: 'johndoe', claims: { iss: idp.issuer, aud: 'bff', sub: 'johndoe' } });
  });

  it('refreshes before forwarding and always presents the refresh token issued last (rotation)', async () => {
    const browser = await signIn();
    const atLogin = await idp.state();
    const issuedAtLogin = atLogin.refreshTokensIssued.at(-1);
    const presentedBefore = atLogin.refreshTokensPresented.length;
    for (let call = 0; call < 3; call += 1) {
      const answer = await callApi(browser);
      expect(answer.status).toBe(200);
      expect(answer.body.headers['authorization']).toMatch(/^Bearer eyJ/);
    }

    const after = await idp.state();
    const presented = after.refreshTokensPresented.slice(presentedBefore);
    expect(presented).toHaveLength(3);
    expect(presented[0]).toBe(issuedAtLogin);
    const issuedAfter = after.refreshTokensIssued.slice(-3);
    expect(presented.slice(1)).toEqual(issuedAfter.slice(0, 2));
  });

  it('logs out: revokes the refresh token, then ends the session at the provider with client_id and state', async () => {
    const browser = await signIn();
    const { logoutUrl } = JSON.parse((await browser.get(`${publicUrl}/auth/user`, CSRF)).body) as { logoutUrl: string };
    const { revocations } = await idp.state();
    const logout = await browser.get(`${publicUrl}${logoutUrl}`);

    expect((await idp.state()).revocations).toBe(revocations + 1);
    const endSession = new URL(logout.location ?? '');
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${idp.issuer}/endsession`);
    expect(endSession.searchParams.get('client_id')).toBe('bff');
    const state = endSession.searchParams.get('state');
    const back = await browser.get(endSession.href);
    expect(back.location).toBe(`${publicUrl}/?state=${state}`);
    expect((await callApi(browser)).status).toBe(401);
  });

  it('verifies a bearer JWT against the provider key set and forwards it', async () => {
    const token = await idp.machineToken('orders:read');
    const response = await fetch(`${publicUrl}/machines/x`, { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(200);
    expect(((await response.json()) as EchoBody).headers['authorization']).toBe(`Bearer ${token}`);
    const forged = `${token.slice(0, -4)}AAAA`;
    expect((await fetch(`${publicUrl}/machines/x`, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
  });
});
