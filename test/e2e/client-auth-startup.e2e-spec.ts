import { generateKeyPairSync } from 'node:crypto';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { startApp } from '../../src/app';
import { loadAppConfig } from '../../src/config/app-config';
import { ConfigurationError } from '../../src/config/configuration.error';
import { logLines, runBffToExit, startBffProcess } from '../support/bff-process';
import { ClientKeyFiles } from '../support/client-keys';
import { MisbehavingIdp } from '../support/misbehaving-idp';
import { startTestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { baseEnv } from '../support/test-env';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';
import { waitFor } from '../support/wait-for';

/** What the client authentication and PAR settings need from the IdP is checked at start-up, never at the first login. */
describe('start-up checks of client authentication and PAR', () => {
  const keys = new ClientKeyFiles();
  let withoutPar: DevIdp;
  let requiringPar: DevIdp;
  let bare: MisbehavingIdp;
  let database: TestDatabase;
  const redisPrefix = uniqueRedisPrefix();

  beforeAll(async () => {
    [withoutPar, requiringPar, bare, database] = await Promise.all([
      startDevIdp({ pushedAuthorizationRequests: 'off' }),
      startDevIdp({ pushedAuthorizationRequests: 'required' }),
      MisbehavingIdp.start(),
      createTestDatabase(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([withoutPar.stop(), requiringPar.stop(), bare.stop(), database.drop(), dropKeysUnder(redisPrefix)]);
    keys.remove();
  });
  afterEach(() => {
    bare.extraMetadata = {};
  });

  function started(env: Record<string, string | undefined>) {
    const loaded = loadAppConfig(baseEnv({ DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix, ...env }));
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    return startApp(loaded.config);
  }

  it('refuses OIDC_PAR=on when the IdP has no PAR endpoint', async () => {
    const start = started({ OIDC_ISSUER: withoutPar.issuer, OIDC_PAR: 'on' });
    await expect(start).rejects.toBeInstanceOf(ConfigurationError);
    await expect(start).rejects.toMatchObject({ problems: ['OIDC_PAR: is on, but the identity provider has no pushed_authorization_request_endpoint'] });
  });

  it('refuses OIDC_PAR=off when the IdP requires PAR', async () => {
    await expect(started({ OIDC_ISSUER: requiringPar.issuer, OIDC_PAR: 'off' })).rejects.toMatchObject({
      problems: ['OIDC_PAR: is off, but the identity provider requires pushed authorization requests (require_pushed_authorization_requests)'],
    });
  });

  it('refuses a client authentication method the IdP does not list', async () => {
    await expect(started({ OIDC_ISSUER: bare.issuer, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_jwt' })).rejects.toMatchObject({
      problems: ['OIDC_TOKEN_ENDPOINT_AUTH_METHOD: is client_secret_jwt, but the identity provider lists only client_secret_basic, client_secret_post (token_endpoint_auth_methods_supported)'],
    });
  });

  it('refuses a method the IdP lists for its token endpoint but not for introspection, where the BFF authenticates too', async () => {
    bare.extraMetadata = {
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_jwt'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
    };
    await expect(started({ OIDC_ISSUER: bare.issuer, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_jwt' })).rejects.toMatchObject({
      problems: ['OIDC_TOKEN_ENDPOINT_AUTH_METHOD: is client_secret_jwt, but the identity provider lists only client_secret_basic (introspection_endpoint_auth_methods_supported)'],
    });
  });

  it('refuses client_secret_jwt when the IdP does not list HS256, and a key no listed algorithm fits', async () => {
    bare.extraMetadata = {
      token_endpoint_auth_methods_supported: ['client_secret_jwt', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256'],
    };
    await expect(started({ OIDC_ISSUER: bare.issuer, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_jwt' })).rejects.toMatchObject({
      problems: ['OIDC_TOKEN_ENDPOINT_AUTH_METHOD: client_secret_jwt signs with HS256, which the identity provider does not list (token_endpoint_auth_signing_alg_values_supported: RS256, PS256)'],
    });
    const ecKey = keys.create('ec-jwk').path;
    await expect(started({ OIDC_ISSUER: bare.issuer, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_PRIVATE_KEY_FILE: ecKey })).rejects.toMatchObject({
      problems: ['OIDC_CLIENT_PRIVATE_KEY_FILE: its EC key signs with ES256, none of which the identity provider lists (token_endpoint_auth_signing_alg_values_supported: RS256, PS256)'],
    });
  });

  it('starts with private_key_jwt when the IdP lists an algorithm the key fits', async () => {
    bare.extraMetadata = { token_endpoint_auth_methods_supported: ['private_key_jwt'], token_endpoint_auth_signing_alg_values_supported: ['ES256'] };
    const app = await startTestApp({ OIDC_ISSUER: bare.issuer, OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_PRIVATE_KEY_FILE: keys.create('ec-jwk').path, OIDC_CLIENT_SECRET: undefined });
    await app.stop();
  });

  it('logs the problem when the IdP is discovered only after start-up', async () => {
    const late = await startDevIdp({ pushedAuthorizationRequests: 'off' });
    await late.stop();
    const bff = await startBffProcess(
      baseEnv({ OIDC_ISSUER: late.issuer, OIDC_PAR: 'on', LOG_LEVEL: 'info', DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix }),
    );
    try {
      await late.restart();
      const line = await waitFor(
        () => logLines(bff.stdout()).find((entry) => entry['msg'] === 'configuration error'),
        (found) => found !== undefined,
        { what: 'the configuration error after discovery' },
      );
      expect(line).toMatchObject({ level: 50, problem: 'OIDC_PAR: is on, but the identity provider has no pushed_authorization_request_endpoint' });
    } finally {
      bff.kill();
      await bff.exited;
      await late.stop();
    }
  });

  it.each([
    ['missing with private_key_jwt', undefined, 'OIDC_CLIENT_PRIVATE_KEY_FILE: is required with OIDC_TOKEN_ENDPOINT_AUTH_METHOD=private_key_jwt'],
    ['unreadable', 'does-not-exist', 'OIDC_CLIENT_PRIVATE_KEY_FILE: cannot be read (ENOENT)'],
    ['unparsable', 'garbage', 'OIDC_CLIENT_PRIVATE_KEY_FILE: is not a PEM private key (PKCS#8, SEC1 or PKCS#1) or a JWK'],
    ['a public key only', 'public', 'OIDC_CLIENT_PRIVATE_KEY_FILE: holds a public key only: the private key is needed to sign client assertions'],
    ['an unsupported key type', 'p384', 'OIDC_CLIENT_PRIVATE_KEY_FILE: holds an unsupported key type: use RSA (2048 bits or more), EC P-256 or Ed25519'],
  ])('exits with one configuration line when the key file is %s, never printing its content', async (_case, file, line) => {
    const contents: Record<string, string> = {
      garbage: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-not-a-key',
      public: JSON.stringify({ ...keys.create('ec-jwk').publicJwk }),
      p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    const path = file === undefined ? undefined : file === 'does-not-exist' ? '/nonexistent/client.pem' : keys.write(`${file}.key`, contents[file] ?? '');
    const run = await runBffToExit(baseEnv({ OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_SECRET: undefined, OIDC_CLIENT_PRIVATE_KEY_FILE: path }));
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([`config error: ${line}`]);
    if (file !== undefined && contents[file]) expect(run.stderr + run.stdout).not.toContain(contents[file]?.slice(30, 60));
  });
});
