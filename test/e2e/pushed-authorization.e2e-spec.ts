import { ACR_SECOND_FACTOR, ONE_TIME_CODE } from '../../dev/idp/authentication-levels';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { ClientKeyFiles } from '../support/client-keys';
import { parseForms } from '../support/html-forms';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { JSON_ACCEPT, type TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };

/** The query of the IdP URL /auth/login sends the browser to, by parameter name. */
async function authorizationRedirect(base: string, query = 'returnTo=/'): Promise<{ status: number; location: URL | undefined; body: Record<string, unknown> | undefined }> {
  const response = await fetch(`${base}/auth/login?${query}`, { redirect: 'manual', headers: { accept: JSON_ACCEPT } });
  const location = response.headers.get('location');
  const body = response.headers.get('content-type')?.includes('json') ? ((await response.json()) as Record<string, unknown>) : undefined;
  return { status: response.status, location: location === null ? undefined : new URL(location), body };
}

function parameterNames(url: URL | undefined): string[] {
  return [...(url?.searchParams.keys() ?? [])].sort();
}

/**
 * RFC 9126 against oidc-provider: the BFF pushes every authorization parameter (PKCE, state, nonce, scopes, login
 * parameters, response_mode) with its client authentication, here private_key_jwt with an Ed25519 key, and the browser
 * carries only client_id and request_uri.
 */
describe('pushed authorization requests', () => {
  const keys = new ClientKeyFiles();

  afterAll(() => keys.remove());

  describe('an IdP that requires them (OIDC_PAR=auto), with form_post', () => {
    let stack: LoginStack;

    beforeAll(async () => {
      const key = keys.create('ed25519-pkcs8');
      stack = await startLoginStack(
        { OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_PRIVATE_KEY_FILE: key.path, OIDC_RESPONSE_MODE: 'form_post' },
        (publicUrl) => ({
          pushedAuthorizationRequests: 'required',
          mainClientAuthentication: { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${publicUrl}/auth/jwks` },
        }),
      );
    });
    afterAll(async () => {
      await stack.stop();
    });

    async function claimsOf(browser: TestBrowser): Promise<Record<string, unknown>> {
      return (JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { claims: Record<string, unknown> }).claims;
    }

    it('sends the browser with only client_id and request_uri, and the login completes through a form_post callback', async () => {
      stack.idp.resetCounters();
      const redirect = await authorizationRedirect(stack.publicUrl, 'returnTo=/orders&login_hint=alice&ui_locales=en');
      expect(redirect.status).toBe(302);
      expect(`${redirect.location?.origin}${redirect.location?.pathname}`).toBe(`${stack.idp.issuer}/auth`);
      expect(parameterNames(redirect.location)).toEqual(['client_id', 'request_uri']);
      expect(redirect.location?.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
      expect(stack.idp.counters.pushedAuthorizationRequests).toBe(1);

      const browser = stack.browser();
      const login = await browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=/orders`, 'alice', 'alice-password');
      expect(login.response.url).toBe(`${stack.publicUrl}/orders`);
      expect(login.visited).toContain(`${stack.publicUrl}/auth/callback`);
      expect(await claimsOf(browser)).toMatchObject({ sub: 'user-alice' });
    });

    it('steps up through PAR: acr_values and max_age reach the IdP, which asks for the second factor again', async () => {
      const browser = await stack.signedIn('bob');
      const start = `${stack.publicUrl}/auth/login?returnTo=/reports&acr_values=${encodeURIComponent(ACR_SECOND_FACTOR)}&max_age=0`;
      const stepped = await browser.loginWithForm(start, 'bob', 'bob-password', { otp: ONE_TIME_CODE });
      expect(stepped.response.url).toBe(`${stack.publicUrl}/reports`);
      expect(await claimsOf(browser)).toMatchObject({ sub: 'user-bob', acr: ACR_SECOND_FACTOR, amr: ['pwd', 'otp'] });
    });

    it('answers a silent login without an IdP session with bff_error=login_required', async () => {
      const browser = stack.browser();
      const atIdp = await browser.follow(await browser.get(`${stack.publicUrl}/auth/login?prompt=none&returnTo=/p`));
      // oidc-provider serves its form_post error page with status 400; a browser submits it all the same.
      const [form] = parseForms(atIdp.response.body);
      expect(form?.fields).toMatchObject({ error: 'login_required' });
      const done = await browser.follow(await browser.post(form?.action ?? '', { form: form?.fields ?? {} }));
      expect(done.response.url).toBe(`${stack.publicUrl}/p?bff_error=login_required`);
      expect(browser.cookies(stack.publicUrl)['bff-session']).toBeUndefined();
    });

    it('answers 503 idp_unavailable when the PAR endpoint cannot be reached, and sends the browser nowhere', async () => {
      stack.idp.parFault = 'down';
      try {
        const redirect = await authorizationRedirect(stack.publicUrl);
        expect(redirect).toMatchObject({ status: 503, location: undefined, body: { error: 'idp_unavailable' } });
      } finally {
        stack.idp.parFault = undefined;
      }
    });

    describe('refused by the IdP', () => {
      let other: TestApp | undefined;
      afterEach(async () => {
        await other?.close();
        other = undefined;
      });

      it.each([
        ['a redirect_uri it does not know', { OIDC_REDIRECT_URI: 'http://127.0.0.1:9/elsewhere' }],
        ['a key it does not know', { OIDC_CLIENT_PRIVATE_KEY_FILE: keys.create('ed25519-pkcs8').path }],
      ])('answers 502 idp_rejected JSON for %s, never a redirect with the parameters', async (_case, env) => {
        other = await startTestApp({ ...stack.app.env, PORT: '0', ...env }, { database: stack.app.database });
        const redirect = await authorizationRedirect(other.browserUrl);
        expect(redirect).toMatchObject({ status: 502, location: undefined, body: { error: 'idp_rejected', message: expect.any(String) as unknown } });
      });
    });
  });

  describe('an IdP that offers them without requiring them', () => {
    let idp: DevIdp;
    let database: TestDatabase;
    const apps: TestApp[] = [];

    beforeAll(async () => {
      [idp, database] = await Promise.all([startDevIdp(), createTestDatabase()]);
    });
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all([idp.stop(), database.drop()]);
    });

    it.each([
      ['auto', ['client_id', 'code_challenge', 'code_challenge_method', 'nonce', 'redirect_uri', 'response_type', 'scope', 'state']],
      ['off', ['client_id', 'code_challenge', 'code_challenge_method', 'nonce', 'redirect_uri', 'response_type', 'scope', 'state']],
      ['on', ['client_id', 'request_uri']],
    ])('with OIDC_PAR=%s sends the browser with %j', async (par, names) => {
      const app = await startTestApp({ OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, OIDC_PAR: par }, { database });
      apps.push(app);
      const redirect = await authorizationRedirect(app.browserUrl);
      expect(redirect.status).toBe(302);
      expect(parameterNames(redirect.location)).toEqual(names);
    });
  });
});
