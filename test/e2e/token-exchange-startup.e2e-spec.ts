import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { startApp } from '../../src/app';
import { loadAppConfig } from '../../src/config/app-config';
import { ConfigurationError } from '../../src/config/configuration.error';
import { MisbehavingIdp } from '../support/misbehaving-idp';
import { startTestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { baseEnv } from '../support/test-env';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';

describe('start-up checks of what token exchange and userinfo need from the IdP', () => {
  let plain: DevIdp;
  let bare: MisbehavingIdp;
  let dir: string;
  let routesFile: string;
  let database: TestDatabase;
  const redisPrefix = uniqueRedisPrefix();

  beforeAll(async () => {
    // An IdP without RFC 8693, and one whose discovery lists neither grant types nor a userinfo endpoint.
    [plain, bare, database] = await Promise.all([startDevIdp({ tokenExchange: false }), MisbehavingIdp.start(), createTestDatabase()]);
    dir = mkdtempSync(join(tmpdir(), 'bff-exchange-startup-'));
    routesFile = join(dir, 'routes.yaml');
    writeFileSync(routesFile, 'routes:\n  - path: /orders\n    upstream: http://127.0.0.1:9\n    token_exchange: { audience: api://orders }\n');
  });
  afterAll(async () => {
    await Promise.all([plain.stop(), bare.stop(), database.drop(), dropKeysUnder(redisPrefix)]);
    rmSync(dir, { recursive: true, force: true });
  });

  function started(env: Record<string, string>) {
    const loaded = loadAppConfig(baseEnv({ DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix, ...env }));
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    return startApp(loaded.config);
  }

  it('refuses routes with token_exchange when the IdP lists its grant types without the token-exchange grant', async () => {
    const start = started({ OIDC_ISSUER: plain.issuer, ROUTES_FILE: routesFile });
    await expect(start).rejects.toBeInstanceOf(ConfigurationError);
    await expect(start).rejects.toMatchObject({
      problems: ['ROUTES_FILE: /orders ask for token_exchange, but the identity provider does not offer urn:ietf:params:oauth:grant-type:token-exchange (grant_types_supported)'],
    });
  });

  it('refuses OIDC_USERINFO=true when the IdP has no userinfo endpoint', async () => {
    await expect(started({ OIDC_ISSUER: bare.issuer, OIDC_USERINFO: 'true' })).rejects.toMatchObject({
      problems: ['OIDC_USERINFO: is true, but the identity provider has no userinfo_endpoint'],
    });
  });

  it('starts when the discovery document does not say which grants it offers', async () => {
    const app = await startTestApp({ OIDC_ISSUER: bare.issuer, ROUTES_FILE: routesFile });
    await app.stop();
  });
});
