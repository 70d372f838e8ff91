import { createLocalJWKSet, exportJWK } from 'jose';
import { NOW, nowSeconds } from '../../../test/support/fake-oidc-client';
import { useBearerVerifierFixture } from '../../../test/support/bearer-verifier-fixture';

describe('BearerVerifier', () => {
  const fixture = useBearerVerifierFixture();
  const { build, sign, rejection } = fixture;

  describe('cache', () => {
    it('answers a repeated token from the cache without verifying it again', async () => {
      const sut = build();
      const token = await sign();

      const first = await sut.verify(token);
      const second = await sut.verify(token);

      expect(second).toBe(first);
      expect(fixture.idp.keyLookups).toBe(1);
    });

    it('verifies concurrent first uses of one token once', async () => {
      const sut = build();
      const token = await sign();

      await Promise.all(Array.from({ length: 20 }, () => sut.verify(token)));

      expect(fixture.idp.keyLookups).toBe(1);
    });

    it('drops an entry when the token expires', async () => {
      const sut = build();
      const token = await sign({ exp: nowSeconds() + 60 });
      await sut.verify(token);

      jest.setSystemTime(NOW + 60_000);
      await expect(sut.verify(token)).resolves.toMatchObject({ expiresAt: NOW + 60_000 });
      expect(fixture.idp.keyLookups).toBe(2);

      jest.setSystemTime(NOW + 120_000);
      await expect(sut.verify(token)).rejects.toMatchObject(rejection);
    });

    it('remembers a rejection for a minute, then asks again', async () => {
      const sut = build();
      const token = await sign({}, { kid: 'key-2' });
      await expect(sut.verify(token)).rejects.toMatchObject(rejection);

      const local = createLocalJWKSet({ keys: [{ ...(await exportJWK(fixture.publicKey)), kid: 'key-2', alg: 'RS256' }] });
      fixture.idp.keys = (header, input) => local(header, input);

      await expect(sut.verify(token)).rejects.toMatchObject(rejection);
      jest.setSystemTime(NOW + 60_001);
      await expect(sut.verify(token)).resolves.toMatchObject({ subject: 'machine' });
    });

    it('remembers a rejected opaque token without introspecting it again', async () => {
      const sut = build();
      fixture.idp.introspection = { active: false };
      for (let attempt = 0; attempt < 5; attempt += 1) await expect(sut.verify('garbage')).rejects.toMatchObject(rejection);
      expect(fixture.idp.introspected).toEqual(['garbage']);
    });

    it('does not remember an IdP failure', async () => {
      const sut = build();
      fixture.idp.introspection = new TypeError('fetch failed');
      await expect(sut.verify('opaque-token')).rejects.toMatchObject({ status: 503 });
      fixture.idp.introspection = { active: true, token_type: 'Bearer', exp: nowSeconds() + 300 };
      await expect(sut.verify('opaque-token')).resolves.toMatchObject({ expiresAt: NOW + 300_000 });
    });
  });

  describe('opaque tokens', () => {
    it('accepts an active token by introspection', async () => {
      const sut = build();
      fixture.idp.introspection = { active: true, sub: 'machine', client_id: 'machine', scope: 'orders:read', aud: 'api://opaque', token_type: 'Bearer', exp: nowSeconds() + 300 };

      await expect(sut.verify('opaque-token')).resolves.toEqual({
        claims: { sub: 'machine', client_id: 'machine', scope: 'orders:read', aud: 'api://opaque', token_type: 'Bearer', exp: nowSeconds() + 300 },
        scopes: ['orders:read'],
        audiences: ['api://opaque'],
        expiresAt: NOW + 300_000,
        subject: 'machine',
      });
      expect(fixture.idp.introspected).toEqual(['opaque-token']);
    });

    it('introspects a token once while it is cached', async () => {
      const sut = build();
      fixture.idp.introspection = { active: true, token_type: 'Bearer', exp: nowSeconds() + 300 };

      await sut.verify('opaque-token');
      await sut.verify('opaque-token');

      expect(fixture.idp.introspected).toHaveLength(1);
    });

    it('rejects an inactive token', async () => {
      const sut = build();
      fixture.idp.introspection = { active: false };

      await expect(sut.verify('opaque-token')).rejects.toMatchObject(rejection);
    });

    it('rejects an opaque token when the IdP cannot introspect', async () => {
      const sut = build();
      fixture.idp.introspection = undefined;

      await expect(sut.verify('opaque-token')).rejects.toMatchObject(rejection);
    });

    it('rejects an active token for another audience when OIDC_AUDIENCE is set', async () => {
      const sut = build({ audience: 'api://orders' });
      fixture.idp.introspection = { active: true, aud: ['api://billing'], exp: nowSeconds() + 300 };

      await expect(sut.verify('opaque-token')).rejects.toMatchObject(rejection);
    });

    it('rejects an active token whose exp has passed', async () => {
      const sut = build();
      fixture.idp.introspection = { active: true, exp: nowSeconds() - 1 };

      await expect(sut.verify('opaque-token')).rejects.toMatchObject(rejection);
    });

    it('maps an answer without sub by its client_id', async () => {
      const sut = build();
      fixture.idp.introspection = { active: true, token_type: 'Bearer', client_id: 'machine', exp: nowSeconds() + 300 };

      await expect(sut.verify('opaque-token')).resolves.toMatchObject({ subject: 'machine', claims: { sub: 'machine', client_id: 'machine' } });
    });

    it('answers 503 when introspection fails', async () => {
      const sut = build();
      fixture.idp.introspection = new TypeError('fetch failed');

      await expect(sut.verify('opaque-token')).rejects.toMatchObject({ status: 503, code: 'idp_unavailable' });
    });
  });
});
