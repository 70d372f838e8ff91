import { DpopKey } from '../../dpop/dpop-key';
import { UpstreamDpop } from './upstream-dpop';

const ORIGIN = 'http://orders:8080';

function nonceOf(proof: string | string[] | undefined): unknown {
  const payload = String(proof).split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>)['nonce'];
}

describe('UpstreamDpop', () => {
  it('answers only RFC 9449\'s nonce challenge with a retry, and keeps any nonce the upstream sends for its origin', async () => {
    const sut = new UpstreamDpop();
    const proof = { key: await DpopKey.generate(), accessToken: 't', htm: 'GET', url: `${ORIGIN}/a`, origin: ORIGIN };
    expect(nonceOf(sut.prove({}, proof)['dpop'])).toBeUndefined();
    const challenge = { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"', 'dpop-nonce': 'n-1' };
    expect(sut.heard(ORIGIN, 401, { 'www-authenticate': challenge['www-authenticate'] })).toBe(false);
    expect(sut.heard(ORIGIN, 401, { 'www-authenticate': 'Bearer error="invalid_token"', 'dpop-nonce': 'n-0' })).toBe(false);
    expect(sut.heard(ORIGIN, 403, challenge)).toBe(false);
    expect(sut.heard(ORIGIN, 401, challenge)).toBe(true);
    expect(nonceOf(sut.prove({}, proof)['dpop'])).toBe('n-1');
    // A 200 may rotate it (RFC 9449 §8.2); another origin's nonce is its own.
    sut.heard(ORIGIN, 200, { 'dpop-nonce': 'n-2' });
    sut.heard('http://billing:8080', 401, { ...challenge, 'dpop-nonce': 'b-1' });
    expect(nonceOf(sut.prove({}, proof)['dpop'])).toBe('n-2');
  });
});
