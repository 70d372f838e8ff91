import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import { EmbeddedJWK, jwtVerify } from 'jose';
import { DpopKey } from './dpop-key';
import { dpopProof, htuOf, rawSignature } from './dpop-proof';

/** The proof's parts, its signature checked with node:crypto against the `jwk` it carries. */
function opened(proof: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signed: boolean } {
  const [header = '', payload = '', signature = ''] = proof.split('.');
  const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
  const key = createPublicKey({ key: parsedHeader['jwk'] as import('node:crypto').JsonWebKey, format: 'jwk' });
  const signed = verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  return { header: parsedHeader, payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>, signed };
}

describe('dpopProof', () => {
  let key: DpopKey;
  beforeAll(async () => {
    key = await DpopKey.generate();
  });

  it('signs an RFC 9449 proof with the key\'s public jwk: htm, htu without query, ath of the token, jti, iat', () => {
    const sut = opened(dpopProof(key, { htm: 'GET', url: 'https://api.example.test:8443/orders/42?expand=items#top', accessToken: 'the-token' }, 1_800_000_000_500));
    expect(sut.signed).toBe(true);
    expect(sut.header).toEqual({ alg: 'ES256', typ: 'dpop+jwt', jwk: { ...key.publicJwk } });
    expect(sut.payload).toEqual({
      htm: 'GET',
      htu: 'https://api.example.test:8443/orders/42',
      ath: createHash('sha256').update('the-token').digest('base64url'),
      iat: 1_800_000_000,
      jti: expect.stringMatching(/^[\da-f-]{36}$/) as unknown,
    });
  });

  it('carries the server\'s nonce when there is one, and no ath without a token', () => {
    const sut = opened(dpopProof(key, { htm: 'POST', url: 'https://idp.example.test/token', nonce: 'n-1' }));
    expect(sut.payload).toMatchObject({ htm: 'POST', htu: 'https://idp.example.test/token', nonce: 'n-1' });
    expect(sut.payload).not.toHaveProperty('ath');
  });

  it('is what oidc-provider checks a proof with: jose\'s jwtVerify against the embedded jwk, typ dpop+jwt', async () => {
    const proof = dpopProof(key, { htm: 'GET', url: 'https://api.example.test/a', accessToken: 't' });
    const { protectedHeader, payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
    expect([protectedHeader.alg, payload['htu']]).toEqual(['ES256', 'https://api.example.test/a']);
  });

  it('turns any DER signature into R || S (RFC 7518 §3.4), short and sign-padded integers alike', () => {
    for (let round = 0; round < 300; round += 1) {
      const data = Buffer.from(`input ${round}`);
      const der = sign('sha256', data, key.privateKey);
      const raw = rawSignature(der);
      expect(raw).toHaveLength(64);
      expect(verify('sha256', data, { key: createPublicKey(key.privateKey), dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    }
  });

  it('makes every proof unique', () => {
    const proofs = Array.from({ length: 20 }, () => dpopProof(key, { htm: 'GET', url: 'https://api.example.test/', accessToken: 't' }));
    expect(new Set(proofs.map((proof) => opened(proof).payload['jti'])).size).toBe(20);
  });

  it('leaves the query and fragment out of htu, and nothing else', () => {
    expect(htuOf('http://up:8080/a/b?c=d')).toBe('http://up:8080/a/b');
    expect(htuOf('http://up:8080/a#b?c')).toBe('http://up:8080/a');
    expect(htuOf('http://up:8080/a%2Fb/')).toBe('http://up:8080/a%2Fb/');
  });
});
