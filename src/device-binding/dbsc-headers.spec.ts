import { challengeHeader, proofOf, registrationOffer, sessionIdOf } from './dbsc-headers';
import { deviceBindingFrom } from './device-binding.types';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJjIn0.c2lnbmF0dXJl';
const ID = 'Zm9vYmFyYmF6cXV4MTIzNA';

describe('DBSC header fields', () => {
  it('offers registration as one inner list of the verified algorithms, with path and challenge (RFC 9651)', () => {
    expect(registrationOffer('/auth/device-binding/register', 'c1')).toBe('(ES256 RS256);path="/auth/device-binding/register";challenge="c1"');
    expect(challengeHeader('c2', ID)).toBe(`"c2";id="${ID}"`);
  });

  it('reads the bare values Chrome sends and the structured-field strings the draft describes, parameters ignored', () => {
    expect(proofOf(JWT)).toBe(JWT);
    expect(proofOf(`"${JWT}"`)).toBe(JWT);
    expect(proofOf(` "${JWT}";v=1 `)).toBe(JWT);
    expect(sessionIdOf(ID)).toBe(ID);
    expect(sessionIdOf(`"${ID}"`)).toBe(ID);
  });

  it('reads nothing from what cannot be a proof or one of our session ids', () => {
    for (const value of [undefined, '', '""', `"${JWT}`, `"${JWT}"x`, `"a\\"b"`, 'a.b', `${JWT}.extra`, [JWT, JWT]]) {
      expect([value, proofOf(value)]).toEqual([value, undefined]);
    }
    for (const value of [undefined, 'short', `${ID}!`, `"${ID}`, 'x'.repeat(65), [ID, ID]]) {
      expect([value, sessionIdOf(value)]).toEqual([value, undefined]);
    }
  });
});

describe('deviceBindingFrom (a binding read back from the vault)', () => {
  const binding = { id: ID, alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ' }, boundAt: 1 };

  it('keeps a well-formed binding, its public key members only, and reads an absent one as none', () => {
    expect(deviceBindingFrom(binding)).toEqual(binding);
    expect(deviceBindingFrom({ ...binding, jwk: { ...binding.jwk, kid: 'k', use: 'sig' } })).toEqual(binding);
    expect(deviceBindingFrom(undefined)).toBeUndefined();
  });

  it('refuses anything else, so the session reads as unreadable rather than as unbound', () => {
    for (const broken of [null, 'x', { ...binding, id: 'short' }, { ...binding, alg: 'HS256' }, { ...binding, alg: 'RS256' }, { ...binding, jwk: { ...binding.jwk, d: 'p' } }, { ...binding, boundAt: '1' }]) {
      expect(deviceBindingFrom(broken)).toBeNull();
    }
  });
});
