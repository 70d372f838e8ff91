import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { startBffProcess, type BffProcess } from '../support/bff-process';
import { ClientKeyFiles } from '../support/client-keys';
import { freePort } from '../support/free-port';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TestBrowser } from '../support/test-browser';
import { baseEnv } from '../support/test-env';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';
import { waitFor } from '../support/wait-for';

const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

/**
 * A BFF process logging at debug, authenticating with private_key_jwt and pushing its authorization requests: neither
 * the assertions it signs (client_assertion) nor the request_uri the browser carries reach a log line.
 */
describe('the log of a BFF with private_key_jwt and PAR', () => {
  const keys = new ClientKeyFiles();
  const redisPrefix = uniqueRedisPrefix();
  let idp: DevIdp;
  let database: TestDatabase;
  let bff: BffProcess;
  let publicUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    const key = keys.create('rsa-pkcs1');
    [idp, database] = await Promise.all([
      startDevIdp({
        redirectUris: [`${publicUrl}/auth/callback`],
        postLogoutRedirectUris: [`${publicUrl}/`],
        pushedAuthorizationRequests: 'required',
        mainClientAuthentication: { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${publicUrl}/auth/jwks` },
      }),
      createTestDatabase(),
    ]);
    bff = await startBffProcess(
      baseEnv({
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: undefined,
        OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt',
        OIDC_CLIENT_PRIVATE_KEY_FILE: key.path,
        CONSUMER_OPTIONAL: 'true',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        DATABASE_URL: database.url,
        LOG_LEVEL: 'debug',
      }),
    );
  });
  afterAll(async () => {
    bff?.kill();
    await bff?.exited;
    await Promise.all([idp?.stop(), database?.drop(), dropKeysUnder(redisPrefix)]);
    keys.remove();
  });

  it('logs the login and logout, and never an assertion, a token or a request_uri', async () => {
    const pushed = await fetch(`${publicUrl}/auth/login?returnTo=/`, { redirect: 'manual' });
    const requestUri = new URL(pushed.headers.get('location') ?? '').searchParams.get('request_uri') ?? '';
    expect(requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:/);

    idp.resetCounters();
    const browser = new TestBrowser();
    await browser.loginWithForm(`${publicUrl}/auth/login?returnTo=/`, 'alice', 'alice-password');
    const user = JSON.parse((await browser.get(`${publicUrl}/auth/user`, { 'x-csrf': '1' })).body) as { logoutUrl: string };
    await browser.get(`${publicUrl}${user.logoutUrl}`);
    // Three assertions the IdP verified: the push, the code exchange and the revocation each carried one.
    expect([idp.counters.pushedAuthorizationRequests, idp.counters.authorizationCode, idp.counters.revocations]).toEqual([1, 1, 1]);

    const log = await waitFor(() => bff.stdout(), (text) => text.includes('/auth/logout'), { what: 'the logout in the access log' });
    expect(bff.messages()).toContain('login completed');
    expect(log).not.toMatch(JWT);
    expect(log).not.toContain(requestUri.slice('urn:ietf:params:oauth:request_uri:'.length));
    expect(log).not.toContain(encodeURIComponent(requestUri));
  });
});
