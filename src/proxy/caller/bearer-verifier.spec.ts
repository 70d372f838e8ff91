import { createLocalJWKSet, errors, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { AppError } from '../../common/app.error';
import type { OidcConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import type { OidcClient } from '../../oidc/oidc.client';
import { errorChainText, FakeOidcClient, ISSUER, NOW, nowSeconds, oidcSettings } from '../../../test/support/fake-oidc-client';
import { BearerVerifier } from './bearer-verifier';

describe('BearerVerifier', () => {
  let signingKey: CryptoKey;
  let publicKey: CryptoKey;
  let idp: FakeOidcClient;

  const build = (settings: Partial<OidcConfig> = {}) =>
    new BearerVerifier(idp as unknown as OidcClient, { ...oidcSettings, ...settings }, new MetricsService());

  const sign = (claims: JWTPayload = {}, header: { kid?: string; typ?: string } = {}, key: CryptoKey = signingKey) =>
    new SignJWT({ sub: 'machine', client_id: 'machine', scope: 'orders:read orders:write', aud: 'api://default', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1', typ: 'at+jwt', ...header })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : ISSUER)
      .setIssuedAt(nowSeconds())
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : nowSeconds() + 300)
      .sign(key);

  const rejection = { status: 401, code: 'invalid_token', options: { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } } };

  beforeAll(async () => {
    ({ privateKey: signingKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
  });

  beforeEach(async () => {
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'clearTimeout'] });
    idp = new FakeOidcClient({ ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('JWT access tokens', () => {
    it('accepts a signed token and reads its claims, scopes, audiences and expiry', async () => {
      const sut = build();
      const token = await sign({ exp: nowSeconds() + 120 });

      await expect(sut.verify(token)).resolves.toMatchObject({
        claims: { sub: 'machine', client_id: 'machine', iss: ISSUER },
        scopes: ['orders:read', 'orders:write'],
        audiences: ['api://default'],
        expiresAt: NOW + 120_000,
        subject: 'machine',
      });
    });

    it('reads Okta scopes from an scp array and several audiences', async () => {
      const sut = build();
      const token = await sign({ scope: undefined, scp: ['orders:read'], aud: ['api://a', 'api://b'] });

      await expect(sut.verify(token)).resolves.toMatchObject({ scopes: ['orders:read'], audiences: ['api://a', 'api://b'] });
    });

    it('accepts the typ JWT and a missing typ', async () => {
      const sut = build();

      await expect(sut.verify(await sign({}, { typ: 'JWT' }))).resolves.toMatchObject({ subject: 'machine' });
      await expect(sut.verify(await sign({ jti: 'untyped' }, { typ: undefined }))).resolves.toMatchObject({ subject: 'machine' });
    });

    it('checks the audience when OIDC_AUDIENCE is set', async () => {
      const sut = build({ audience: 'api://orders' });

      await expect(sut.verify(await sign({ aud: ['api://orders', 'api://other'] }))).resolves.toMatchObject({ subject: 'machine' });
      await expect(sut.verify(await sign({ aud: 'api://default' }))).rejects.toMatchObject(rejection);
    });

    it('rejects a token from another issuer', async () => {
      const sut = build();

      await expect(sut.verify(await sign({ iss: 'https://evil.example.test' }))).rejects.toMatchObject(rejection);
    });

    it('rejects an expired token', async () => {
      const sut = build();

      await expect(sut.verify(await sign({ exp: nowSeconds() - 120 }))).rejects.toMatchObject(rejection);
    });

    it('rejects a token that is not valid yet', async () => {
      const sut = build();

      await expect(sut.verify(await sign({ nbf: nowSeconds() + 120 }))).rejects.toMatchObject(rejection);
    });

    it('rejects a token without exp', async () => {
      const sut = build();
      const token = await new SignJWT({ sub: 'machine' }).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setIssuer(ISSUER).sign(signingKey);

      await expect(sut.verify(token)).rejects.toMatchObject(rejection);
    });

    it('rejects an unsigned token with alg none', async () => {
      const sut = build();
      const [, payload] = (await sign()).split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');

      await expect(sut.verify(`${header}.${payload}.`)).rejects.toMatchObject(rejection);
      expect(idp.introspected).toEqual([]);
    });

    it('rejects a token signed with HS256 using the public key as the secret', async () => {
      const sut = build();
      const publicKeyBytes = new TextEncoder().encode(await exportSPKI(publicKey));
      const token = await new SignJWT({ sub: 'machine' })
        .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
        .setIssuer(ISSUER)
        .setExpirationTime('5m')
        .sign(publicKeyBytes);

      await expect(sut.verify(token)).rejects.toMatchObject(rejection);
    });

    it('rejects a token whose payload was changed after signing', async () => {
      const sut = build();
      const [header, , signature] = (await sign()).split('.');
      const forged = Buffer.from(JSON.stringify({ iss: ISSUER, sub: 'admin', exp: nowSeconds() + 300 })).toString('base64url');

      await expect(sut.verify(`${header}.${forged}.${signature}`)).rejects.toMatchObject(rejection);
    });

    it('rejects a token signed by a key the issuer does not publish', async () => {
      const sut = build();
      const { privateKey: strangerKey } = await generateKeyPair('RS256');

      await expect(sut.verify(await sign({}, { kid: 'unknown' }, strangerKey))).rejects.toMatchObject(rejection);
      await expect(sut.verify(await sign({}, {}, strangerKey))).rejects.toMatchObject(rejection);
    });

    it('rejects a token typed as something other than an access token', async () => {
      const sut = build();

      await expect(sut.verify(await sign({}, { typ: 'logout+jwt' }))).rejects.toMatchObject(rejection);
    });

    it('answers 503 when the key set cannot be fetched', async () => {
      const sut = build();
      idp.keys = () => Promise.reject(new errors.JWKSTimeout());

      await expect(sut.verify(await sign())).rejects.toMatchObject({ status: 503, code: 'idp_unavailable' });
      idp.keys = () => Promise.reject(new TypeError('fetch failed'));
      await expect(sut.verify(await sign({ jti: 'other' }))).rejects.toMatchObject({ status: 503, code: 'idp_unavailable' });
    });

    it('never puts the token in the error', async () => {
      const sut = build();
      const token = await sign({ exp: nowSeconds() - 120 });

      const error: unknown = await sut.verify(token).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(AppError);
      expect(errorChainText(error)).not.toContain(token.split('.')[2]);
    });
  });

  describe('cache', () => {
    it('answers a repeated token from the cache without verifying it again', async () => {
      const sut = build();
      const token = await sign();

      const first = await sut.verify(token);
      const second = await sut.verify(token);

      expect(second).toBe(first);
      expect(idp.keyLookups).toBe(1);
    });

    it('verifies concurrent first uses of one token once', async () => {
      const sut = build();
      const token = await sign();

      await Promise.all(Array.from({ length: 20 }, () => sut.verify(token)));

      expect(idp.keyLookups).toBe(1);
    });

    it('drops an entry when the token expires', async () => {
      const sut = build();
      const token = await sign({ exp: nowSeconds() + 60 });
      await sut.verify(token);

      jest.setSystemTime(NOW + 60_000);
      await expect(sut.verify(token)).resolves.toMatchObject({ expiresAt: NOW + 60_000 });
      expect(idp.keyLookups).toBe(2);

      jest.setSystemTime(NOW + 120_000);
      await expect(sut.verify(token)).rejects.toMatchObject(rejection);
    });

    it('remembers a rejection for a minute, then asks again', async () => {
      const sut = build();
      const token = await sign({}, { kid: 'key-2' });
      await expect(sut.verify(token)).rejects.toMatchObject(rejection);

      const local = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'key-2', alg: 'RS256' }] });
      idp.keys = (header, input) => local(header, input);

      await expect(sut.verify(token)).rejects.toMatchObject(rejection);
      jest.setSystemTime(NOW + 60_001);
      await expect(sut.verify(token)).resolves.toMatchObject({ subject: 'machine' });
    });

    it('remembers a rejected opaque token without introspecting it again', async () => {
      const sut = build();
      idp.introspection = { active: false };
      for (let attempt = 0; attempt < 5; attempt += 1) await expect(sut.verify('garbage')).rejects.toMatchObject(rejection);
      expect(idp.introspected).toEqual(['garbage']);
    });

    it('does not remember an IdP failure', async () => {
      const sut = build();
      idp.introspection = new TypeError('fetch failed');
      await expect(sut.verify('opaque-token')).rejects.toMatchObject({ status: 503 });
      idp.introspection = { active: true, token_type: 'Bearer', exp: nowSeconds() + 300 };
      await expect(sut.verify('opaque-token')).resolves.toMatchObject({ expiresAt: NOW + 300_000 });
    });
  });

  describe('opaque tokens', () => {
    it('accepts an active token by introspection', async () => {
      const sut = build();
      idp.introspection = { active: true, sub: 'machine', client_id: 'machine', scope: 'orders:read', aud: 'api://opaque', token_type: 'Bearer', exp: nowSeconds() + 300 };

      await expect(sut.verify('opaque-token')).resolves.toEqual({
        claims: { sub: 'machine', client_id: 'machine', scope: 'orders:read', aud: 'api://opaque', token_type: 'Bearer', exp: nowSeconds() + 300 },
        scopes: ['orders:read'],
        audiences: ['api://opaque'],
        expiresAt: NOW + 300_000,
        subject: 'machine',
      });
      expect(idp.introspected).toEqual(['opaque-token']);
    });

    it('introspects a token once while it is cached', async () => {
      const sut = build();
      idp.introspection = { active: true, token_type: 'Bearer', exp: nowSeconds() + 300 };

      await sut.verify('opaque-token');
      await sut.verify('opaque-token');

      expect(idp.introspected).toHaveLength(1);
    });

    it('rejects an inactive token', async () => {
      const sut = build();
      idp.introspection = { active: false };

      await expect(sut.verify('opaque-token')).rejects.toMatchObject(rejection);
    });

    it('rejects an opaque token when the IdP cannot introspect', async () => {
      const sut = build();
      idp.introspection = undefined;

      await expect(sut.verify('opaque-token')).rejects.toMatchObject(rejection);
    });

    it('rejects an active token for another audience when OIDC_AUDIENCE is set', async () => {
      const sut = build({ audience: 'api://orders' });
      idp.introspection = { active: true, aud: ['api://billing'], exp: nowSeconds() + 300 };

      await expect(sut.verify('opaque-token')).rejects.toMatchObject(rejection);
    });

    it('rejects an active token whose exp has passed', async () => {
      const sut = build();
      idp.introspection = { active: true, exp: nowSeconds() - 1 };

      await expect(sut.verify('opaque-token')).rejects.toMatchObject(rejection);
    });

    it('maps an answer without sub by its client_id', async () => {
      const sut = build();
      idp.introspection = { active: true, token_type: 'Bearer', client_id: 'machine', exp: nowSeconds() + 300 };

      await expect(sut.verify('opaque-token')).resolves.toMatchObject({ subject: 'machine', claims: { sub: 'machine', client_id: 'machine' } });
    });

    it('answers 503 when introspection fails', async () => {
      const sut = build();
      idp.introspection = new TypeError('fetch failed');

      await expect(sut.verify('opaque-token')).rejects.toMatchObject({ status: 503, code: 'idp_unavailable' });
    });
  });
});
