import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { OidcConfig } from '../../src/config/app-config';
import type { ReadinessService } from '../../src/health/readiness.service';
import { MetricsService } from '../../src/metrics/metrics.service';
import { ExtraIssuers } from '../../src/oidc/extra-issuers';
import type { OidcClient } from '../../src/oidc/oidc.client';
import { BearerVerifier } from '../../src/proxy/caller/bearer-verifier';
import { FakeOidcClient, ISSUER, NOW, nowSeconds, oidcSettings } from './fake-oidc-client';

/** A BearerVerifier's world: an RS256 key pair, a fake IdP publishing it, and builders of verifiers and tokens. */
class BearerVerifierFixture {
  signingKey!: CryptoKey;
  publicKey!: CryptoKey;
  idp!: FakeOidcClient;
  readonly rejection = { status: 401, code: 'invalid_token', options: { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } } };

  readonly build = (settings: Partial<OidcConfig> = {}): BearerVerifier => {
    const configured = { ...oidcSettings, ...settings };
    const readiness = { describe: () => undefined } as unknown as ReadinessService;
    return new BearerVerifier(this.idp as unknown as OidcClient, configured, new MetricsService(), new ExtraIssuers(configured, readiness));
  };

  readonly sign = (claims: JWTPayload = {}, header: { kid?: string; typ?: string } = {}, key: CryptoKey = this.signingKey): Promise<string> =>
    new SignJWT({ sub: 'machine', client_id: 'machine', scope: 'orders:read orders:write', aud: 'api://default', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1', typ: 'at+jwt', ...header })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : ISSUER)
      .setIssuedAt(nowSeconds())
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : nowSeconds() + 300)
      .sign(key);
}

/** The fixture for one spec file, with a fresh fake IdP and fake clocks per test. */
export function useBearerVerifierFixture(): BearerVerifierFixture {
  const fixture = new BearerVerifierFixture();

  beforeAll(async () => {
    ({ privateKey: fixture.signingKey, publicKey: fixture.publicKey } = await generateKeyPair('RS256', { extractable: true }));
  });

  beforeEach(async () => {
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'clearTimeout'] });
    fixture.idp = new FakeOidcClient({ ...(await exportJWK(fixture.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  return fixture;
}
