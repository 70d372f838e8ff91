import { generateKeyPairSync } from 'node:crypto';
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
    // Names an Object.prototype member: never a table entry, nor a TypeError (a 500) instead of a refusal.
    ['kty constructor', { kty: 'constructor', crv: 'P-256', x: 'a', y: 'b' }],
    ['kty __proto__', { kty: '__proto__' }],
    ['kty toString', { kty: 'toString' }],
    ['a kty that is an object', JSON.parse('{"kty":{"toString":1},"x":"a"}') as Record<string, unknown>],
  ])('refuses %s', async (_case, jwk) => {
    await expect(new ProofKeys().keyOf(jwk)).resolves.toBeUndefined();
  });

  describe('RSA keys whose verification costs what an attacker chooses', () => {
    // A 3072-bit modulus is the largest for which OpenSSL takes any public exponent below it: ~10 ms a verification
    // with a 3000-bit one, against ~0.2 ms for an ES256 proof; every proof sent with a valid bound token costs that.
    const { n } = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ format: 'jwk' });
    const exponent = (bytes: number) => Buffer.alloc(bytes, 0x7f).fill(0x7f, 0, 1).fill(0x01, bytes - 1).toString('base64url');

    it.each([['3', 'Aw'], ['65537', 'AQAB'], ['a 64-bit one', exponent(8)]])('takes the public exponent %s', async (_case, e) => {
      await expect(new ProofKeys().keyOf({ kty: 'RSA', n, e })).resolves.toMatchObject({ key: expect.anything() as unknown });
    });

    it.each([['a 72-bit public exponent', exponent(9)], ['a 3000-bit public exponent', exponent(375)]])('refuses %s', async (_case, e) => {
      await expect(new ProofKeys().keyOf({ kty: 'RSA', n, e })).resolves.toBeUndefined();
    });

    it('refuses a modulus over 4096 bits (a 64-bit exponent then costs ~4 times as much)', async () => {
      const huge = Buffer.alloc(513, 0xff).toString('base64url');
      await expect(new ProofKeys().keyOf({ kty: 'RSA', n: huge, e: 'AQAB' })).resolves.toBeUndefined();
    });
  });
});
