import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { loadAppConfig } from '../../src/config/app-config';
import { OIDC_CONFIG, REDIS_CONFIG, SESSION_CONFIG } from '../../src/config/config.tokens';
import { ReadinessService } from '../../src/health/readiness.service';
import { MetricsService } from '../../src/metrics/metrics.service';
import { ExtraIssuers } from '../../src/oidc/extra-issuers';
import { OidcClient } from '../../src/oidc/oidc.client';
import { BearerVerifier } from '../../src/proxy/caller/bearer-verifier';
import { ClientCredentialsExchange } from '../../src/proxy/caller/client-credentials/client-credentials.exchange';
import { RedisConnection } from '../../src/redis/redis.connection';
import { RedisLease } from '../../src/redis/redis-lease';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { DEFAULT_RESOURCE, MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET, OPAQUE_RESOURCE } from '../../dev/idp/idp-clients';
import { baseEnv, randomKey } from '../support/test-env';
import { dropKeysUnder, keysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';

const FLEET_CLIENT = { id: 'fleet', secret: 'fleet-dev-secret-0123456789abcdef' };
const OFFLINE_CLIENT = { id: 'offline', secret: 'offline-dev-secret-0123456789abcdef' };

interface MachineStack {
  verifier: BearerVerifier;
  exchange: ClientCredentialsExchange;
  close(): Promise<void>;
}

/** One BFF instance's machine-client pieces, wired by Nest with the real IdP adapter, Redis and metrics. */
async function startMachineStack(idp: DevIdp, env: Record<string, string | undefined>): Promise<MachineStack> {
  const loaded = loadAppConfig(
    baseEnv({ OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, REDIS_URL: TEST_REDIS_URL, ...env }),
  );
  if (!loaded.ok) throw new Error(`test configuration invalid: ${loaded.problems.join('; ')}`);
  const moduleRef = await Test.createTestingModule({
    providers: [
      { provide: OIDC_CONFIG, useValue: loaded.config.oidc },
      { provide: REDIS_CONFIG, useValue: loaded.config.redis },
      { provide: SESSION_CONFIG, useValue: loaded.config.session },
      { provide: ReadinessService, useValue: { register: () => undefined } },
      MetricsService,
      RedisConnection,
      RedisLease,
      OidcClient,
      ExtraIssuers,
      BearerVerifier,
      ClientCredentialsExchange,
    ],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return { verifier: moduleRef.get(BearerVerifier), exchange: moduleRef.get(ClientCredentialsExchange), close: () => moduleRef.close() };
}

function machineClient({ id, secret }: { id: string; secret: string }) {
  return {
    client_id: id,
    client_secret: secret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  };
}

const invalidToken = { status: 401, code: 'invalid_token', options: { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } } };
const invalidClient = { status: 401, code: 'invalid_client', options: { headers: { 'www-authenticate': 'Basic realm="bff"' } } };

describe('machine clients against the dev IdP and Redis', () => {
  const prefix = uniqueRedisPrefix();
  // Two instances of the BFF: same keys, same Redis prefix.
  const shared = { REDIS_PREFIX: prefix, TOKEN_ENCRYPTION_KEYS: randomKey(), OIDC_CLIENT_CREDENTIALS_SCOPES: 'orders:read' };
  let idp: DevIdp;
  let first: MachineStack;
  let second: MachineStack;

  beforeAll(async () => {
    idp = await startDevIdp({ clients: [machineClient(FLEET_CLIENT)] });
    first = await startMachineStack(idp, shared);
    second = await startMachineStack(idp, shared);
  });

  afterAll(async () => {
    await first.close();
    await second.close();
    await idp.stop();
    await dropKeysUnder(prefix);
  });

  beforeEach(() => {
    idp.resetCounters();
    idp.tokenDelayMs = 0;
  });

  it('verifies a client-credentials JWT against the issuer keys', async () => {
    const { access_token } = await idp.issueClientCredentialsToken('orders:read orders:write');

    await expect(first.verifier.verify(access_token)).resolves.toMatchObject({
      subject: MACHINE_CLIENT_ID,
      scopes: ['orders:read', 'orders:write'],
      audiences: [DEFAULT_RESOURCE],
      claims: { client_id: MACHINE_CLIENT_ID, iss: idp.issuer },
    });
  });

  it('verifies an opaque token by introspection', async () => {
    const { access_token } = await idp.issueClientCredentialsToken('orders:write', OPAQUE_RESOURCE);

    await expect(first.verifier.verify(access_token)).resolves.toMatchObject({
      scopes: ['orders:write'],
      audiences: [OPAQUE_RESOURCE],
      claims: { client_id: MACHINE_CLIENT_ID },
    });
  });

  it('rejects an opaque token the IdP does not know as inactive', async () => {
    await expect(first.verifier.verify('not-a-token-the-idp-issued')).rejects.toMatchObject(invalidToken);
  });

  it('rejects tokens for another audience when OIDC_AUDIENCE is set', async () => {
    const strict = await startMachineStack(idp, { ...shared, OIDC_AUDIENCE: DEFAULT_RESOURCE });
    try {
      const jwt = await idp.issueClientCredentialsToken('orders:read');
      const opaque = await idp.issueClientCredentialsToken('orders:read', OPAQUE_RESOURCE);

      await expect(strict.verifier.verify(jwt.access_token)).resolves.toMatchObject({ audiences: [DEFAULT_RESOURCE] });
      await expect(strict.verifier.verify(opaque.access_token)).rejects.toMatchObject(invalidToken);
    } finally {
      await strict.close();
    }
  });

  it('makes one grant for 50 concurrent exchanges of one pair, and every caller gets the token', async () => {
    idp.tokenDelayMs = 100;

    const results = await Promise.all(Array.from({ length: 50 }, () => first.exchange.exchange(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET)));

    expect(idp.counters.clientCredentials).toBe(1);
    expect(new Set(results.map((result) => result.accessToken)).size).toBe(1);
    expect(results[0]).toMatchObject({ verified: { subject: MACHINE_CLIENT_ID, scopes: ['orders:read'] } });
    expect(results[0].expiresAt).toBeGreaterThan(Date.now() + 60_000);
  });

  it('reuses the cached token for a later exchange, on this instance and on another', async () => {
    const earlier = await first.exchange.exchange(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET);
    idp.resetCounters();

    const again = await first.exchange.exchange(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET);
    const elsewhere = await second.exchange.exchange(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET);

    expect(idp.counters.clientCredentials).toBe(0);
    expect(again.accessToken).toBe(earlier.accessToken);
    expect(elsewhere.accessToken).toBe(earlier.accessToken);
  });

  it('makes one grant for a pair requested on two instances at once', async () => {
    idp.tokenDelayMs = 200;

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).exchange.exchange(FLEET_CLIENT.id, FLEET_CLIENT.secret)),
    );

    expect(idp.counters.clientCredentials).toBe(1);
    expect(new Set(results.map((result) => result.accessToken)).size).toBe(1);
  });

  it('refuses a wrong secret with 401 invalid_client, even for a pair whose token is cached', async () => {
    await first.exchange.exchange(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET);

    await expect(first.exchange.exchange(MACHINE_CLIENT_ID, 'wrong-secret')).rejects.toMatchObject(invalidClient);
    await expect(first.exchange.exchange('nobody', MACHINE_CLIENT_SECRET)).rejects.toMatchObject(invalidClient);
  });

  it('keeps no secret and no clear token in Redis', async () => {
    const { accessToken } = await first.exchange.exchange(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET);
    const forbidden = [MACHINE_CLIENT_SECRET, FLEET_CLIENT.secret, accessToken].flatMap((value) => [value, Buffer.from(value).toString('base64')]);
    const keys = await keysUnder(prefix);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const values = await Promise.all(keys.map((key) => redis.getBuffer(key)));

      expect(keys.length).toBeGreaterThan(0);
      for (const text of [...keys, ...values.map((value) => value?.toString('latin1') ?? '')]) {
        for (const secret of forbidden) expect(text).not.toContain(secret);
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe('machine clients while the IdP is down', () => {
  const prefix = uniqueRedisPrefix();
  let idp: DevIdp;
  let stack: MachineStack;

  beforeAll(async () => {
    idp = await startDevIdp({ clients: [machineClient(OFFLINE_CLIENT)] });
    stack = await startMachineStack(idp, { REDIS_PREFIX: prefix });
  });

  afterAll(async () => {
    await stack.close();
    await idp.stop();
    await dropKeysUnder(prefix);
  });

  it('answers 503 for a pair that is not cached, and keeps serving one that is', async () => {
    const cached = await stack.exchange.exchange(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET);

    await idp.stop();

    await expect(stack.exchange.exchange(OFFLINE_CLIENT.id, OFFLINE_CLIENT.secret)).rejects.toMatchObject({ status: 503, code: 'idp_unavailable' });
    await expect(stack.exchange.exchange(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET)).resolves.toMatchObject({ accessToken: cached.accessToken });
  });
});
