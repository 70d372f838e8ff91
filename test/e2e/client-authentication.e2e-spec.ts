import { startEchoUpstream, type EchoBody, type EchoUpstream } from '../support/echo-upstream';
import { ClientKeyFiles, type ClientKeyFile } from '../support/client-keys';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { callbackUrlFor } from '../support/login-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
// A refresh skew longer than the tokens live: every proxied call refreshes first, so a refresh needs no waiting.
const ALWAYS_DUE = { TOKEN_REFRESH_SKEW: '120' };
const TOKEN_TTL_SECONDS = 60;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * The BFF authenticates to the IdP with signed assertions (RFC 7523): oidc-provider knows only the public key or a
 * secret it checks HMACs with, so every grant that works proves the assertion was verified, and one made with another
 * key or secret is refused.
 */
describe('client authentication with private_key_jwt and client_secret_jwt', () => {
  const keys = new ClientKeyFiles();
  let upstream: EchoUpstream;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
  });
  afterAll(async () => {
    await upstream.stop();
    keys.remove();
  });

  async function callApi(stack: LoginStack, browser: TestBrowser) {
    const response = await fetch(`${stack.publicUrl}/api/orders`, { headers: { ...CSRF, cookie: browser.cookieHeader(stack.publicUrl) ?? '' } });
    return { status: response.status, body: (await response.json()) as EchoBody };
  }

  /** Login, a proxied call that refreshes first, logout with revocation: every IdP call the BFF makes for a session. */
  async function fullSession(stack: LoginStack): Promise<void> {
    stack.idp.resetCounters();
    const browser = await stack.signedIn('alice');
    expect(stack.idp.counters.authorizationCode).toBe(1);
    const call = await callApi(stack, browser);
    expect(call.status).toBe(200);
    expect(call.body.headers['authorization']).toMatch(/^Bearer /);
    expect(stack.idp.counters.refreshToken).toBe(1);
    const user = JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { logoutUrl: string };
    const logout = await browser.get(`${stack.publicUrl}${user.logoutUrl}`);
    expect(logout.status).toBe(302);
    expect(stack.idp.counters.revocations).toBe(1);
    expect(stack.idp.counters.tokenErrors).toBe(0);
  }

  /** Another instance sharing the stack's Redis and database, with its own client credentials, finishes a login. */
  async function loginThrough(stack: LoginStack, env: Record<string, string | undefined>): Promise<{ status: number; sessionCookie: string | undefined }> {
    const other: TestApp = await startTestApp({ ...stack.app.env, PORT: '0', ...env }, { database: stack.app.database });
    try {
      const browser = stack.browser();
      const callback = new URL(await callbackUrlFor(browser, stack.publicUrl, 'alice', other.browserUrl));
      stack.idp.resetCounters();
      const answer = await browser.get(`${other.browserUrl}${callback.pathname}${callback.search}`);
      return { status: answer.status, sessionCookie: browser.cookies(other.browserUrl)['bff-session'] };
    } finally {
      await other.close();
    }
  }

  /** A BFF with only a private key (no secret), registered at the IdP by its /auth/jwks URL. */
  function privateKeyJwtStack(keyFile: string): Promise<LoginStack> {
    return startLoginStack(
      { OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_PRIVATE_KEY_FILE: keyFile, OIDC_CLIENT_SECRET: undefined, UPSTREAM_URL: upstream.url, ...ALWAYS_DUE },
      (publicUrl) => ({
        accessTokenTtlSeconds: TOKEN_TTL_SECONDS,
        mainClientAuthentication: { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${publicUrl}/auth/jwks` },
      }),
    );
  }

  describe('private_key_jwt, the IdP fetching the public key from /auth/jwks', () => {
    let stack: LoginStack;
    let key: ClientKeyFile;

    beforeAll(async () => {
      key = keys.create('rsa-pkcs1');
      stack = await privateKeyJwtStack(key.path);
    });
    afterAll(async () => {
      await stack.stop();
    });

    it('serves the public key with kid, use and the algorithm it signs with, and no private member', async () => {
      const response = await fetch(`${stack.publicUrl}/auth/jwks`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
      const { keys: served } = (await response.json()) as { keys: Record<string, unknown>[] };
      expect(served).toEqual([{ ...key.publicJwk, kid: expect.any(String) as unknown, use: 'sig', alg: 'RS256' }]);
      for (const member of PRIVATE_MEMBERS) expect(served[0]).not.toHaveProperty(member);
    });

    it('logs in, refreshes before a proxied call and revokes at logout, with no client secret at all', async () => {
      await fullSession(stack);
    });

    it('fails the login when the assertion is signed with a key the IdP does not know', async () => {
      const other = keys.create('rsa-pkcs1');
      const result = await loginThrough(stack, { OIDC_CLIENT_PRIVATE_KEY_FILE: other.path });
      // The IdP refused the client (invalid_client): the operator's to fix, so 503 and a configuration error in the log.
      expect(result).toEqual({ status: 503, sessionCookie: undefined });
      expect(stack.idp.counters.tokenErrors).toBe(1);
      expect(stack.idp.counters.authorizationCode).toBe(0);
    });

    it('logs in through another instance with the same key', async () => {
      const result = await loginThrough(stack, {});
      expect(result.status).toBe(302);
      expect(result.sessionCookie).toMatch(/^[\w-]{43}$/);
    });
  });

  // (oidc-provider under jest refuses inline `jwks` client metadata, objects from another realm: the IdPs here fetch it.)
  describe('private_key_jwt with an EC P-256 key from a JWK file', () => {
    let stack: LoginStack;

    beforeAll(async () => {
      stack = await privateKeyJwtStack(keys.create('ec-jwk').path);
    });
    afterAll(async () => {
      await stack.stop();
    });

    it('signs with ES256, and logs in, refreshes and revokes', async () => {
      const { keys: served } = (await (await fetch(`${stack.publicUrl}/auth/jwks`)).json()) as { keys: Record<string, unknown>[] };
      expect(served).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256' })]);
      await fullSession(stack);
    });
  });

  describe('client_secret_jwt', () => {
    let stack: LoginStack;

    beforeAll(async () => {
      stack = await startLoginStack(
        { OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_jwt', UPSTREAM_URL: upstream.url, ...ALWAYS_DUE },
        { accessTokenTtlSeconds: TOKEN_TTL_SECONDS, mainClientAuthentication: { token_endpoint_auth_method: 'client_secret_jwt' } },
      );
    });
    afterAll(async () => {
      await stack.stop();
    });

    it('logs in, refreshes before a proxied call and revokes at logout', async () => {
      await fullSession(stack);
    });

    it('fails the login when the assertion is signed with another secret', async () => {
      const result = await loginThrough(stack, { OIDC_CLIENT_SECRET: `${stack.idp.clientSecret}-not` });
      expect(result).toEqual({ status: 503, sessionCookie: undefined });
      expect(stack.idp.counters.tokenErrors).toBe(1);
    });

    it('answers /auth/jwks with 404 JSON when no key is configured', async () => {
      const response = await fetch(`${stack.publicUrl}/auth/jwks`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'not_found' });
    });
  });
});
