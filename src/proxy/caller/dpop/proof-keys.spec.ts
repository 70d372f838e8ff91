import { calculateJwkThumbprint } from 'jose';
import { newDpopHolder } from '../../../../test/support/dpop-proofs';
import { ProofKeys } from './proof-keys';

describe('ProofKeys', () => {
  it.each(['ES256', 'ES384', 'RS256', 'Ed25519'])('names a %s key by its RFC 7638 thumbprint', async (alg) => {
    const { publicJwk } = await newDpopHolder(alg);
    const sut = new ProofKeys();
    const found = await sut.keyOf(publicJwk);
    expect(found?.thumbprint).toBe(await calculateJwkThumbprint(publicJwk));
    expect(found?.key.type).toBe('public');
  });

  it('imports a key once, whatever order or extra members its JWK has', async () => {
    const { publicJwk } = await newDpopHolder();
    const sut = new ProofKeys();
    const reordered = Object.fromEntries(Object.entries({ ...publicJwk, kid: 'k1', ext: true }).reverse());
    expect((await sut.keyOf(reordered))?.key).toBe((await sut.keyOf(publicJwk))?.key);
  });

  it.each([
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0' }],
    ['an EC key without y', { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU' }],
    ['a member that is not a string', { kty: 'OKP', crv: 'Ed25519', x: 42 }],
    ['a point off the curve', { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }],
    ['no kty', { crv: 'P-256', x: 'a', y: 'b' }],
  ])('refuses %s', async (_case, jwk) => {
    await expect(new ProofKeys().keyOf(jwk)).resolves.toBeUndefined();
  });
});
