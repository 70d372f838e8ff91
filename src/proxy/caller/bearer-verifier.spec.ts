import { errors, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { AppError } from '../../common/app.error';
import { errorChainText, ISSUER, NOW, nowSeconds } from '../../../test/support/fake-oidc-client';
import { useBearerVerifierFixture } from '../../../test/support/bearer-verifier-fixture';

describe('BearerVerifier', () => {
  const fixture = useBearerVerifierFixture();
  const { build, sign, rejection } = fixture;

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
      const token = await new SignJWT({ sub: 'machine' }).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setIssuer(ISSUER).sign(fixture.signingKey);

      await expect(sut.verify(token)).rejects.toMatchObject(rejection);
    });

    it('rejects an unsigned token with alg none', async () => {
      const sut = build();
      const [, payload] = (await sign()).split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');

      await expect(sut.verify(`${header}.${payload}.`)).rejects.toMatchObject(rejection);
      expect(fixture.idp.introspected).toEqual([]);
    });

    it('rejects a token signed with HS256 using the public key as the secret', async () => {
      const sut = build();
      const publicKeyBytes = new TextEncoder().encode(await exportSPKI(fixture.publicKey));
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
      fixture.idp.keys = () => Promise.reject(new errors.JWKSTimeout());

      await expect(sut.verify(await sign())).rejects.toMatchObject({ status: 503, code: 'idp_unavailable' });
      fixture.idp.keys = () => Promise.reject(new TypeError('fetch failed'));
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
});
