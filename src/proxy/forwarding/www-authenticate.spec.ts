import { parseChallenges } from './www-authenticate';

describe('parseChallenges', () => {
  it('reads a Bearer challenge with quoted and token parameters', () => {
    expect(parseChallenges('Bearer error="insufficient_user_authentication", acr_values="urn:a urn:b", max_age=300')).toEqual([
      { scheme: 'bearer', params: { error: 'insufficient_user_authentication', acr_values: 'urn:a urn:b', max_age: '300' } },
    ]);
  });

  it('lower-cases schemes and parameter names, and keeps the first of a repeated parameter', () => {
    expect(parseChallenges('BEARER Error="a", ERROR="b"')).toEqual([{ scheme: 'bearer', params: { error: 'a' } }]);
  });

  it('reads several challenges in one header, commas inside quotes included', () => {
    expect(parseChallenges('Basic realm="api, v2", Bearer realm="api", error="invalid_token", DPoP algs="ES256 PS256"')).toEqual([
      { scheme: 'basic', params: { realm: 'api, v2' } },
      { scheme: 'bearer', params: { realm: 'api', error: 'invalid_token' } },
      { scheme: 'dpop', params: { algs: 'ES256 PS256' } },
    ]);
  });

  it('reads challenges spread over several header lines', () => {
    expect(parseChallenges(['Basic realm="x"', 'Bearer error="insufficient_user_authentication"']).map((c) => c.scheme)).toEqual([
      'basic',
      'bearer',
    ]);
  });

  it('unescapes quoted-pairs and allows whitespace around =', () => {
    expect(parseChallenges('Bearer error_description = "say \\"again\\" \\\\ later" , error = x')).toEqual([
      { scheme: 'bearer', params: { error_description: 'say "again" \\ later', error: 'x' } },
    ]);
  });

  it('tells a token68 from parameters', () => {
    expect(parseChallenges('Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXa==, Bearer')).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'YIIBhgYGKwYBBQUCoIIBejCCAXa==' },
      { scheme: 'bearer', params: {} },
    ]);
  });

  it('reads bare schemes and empty input', () => {
    expect(parseChallenges('Bearer')).toEqual([{ scheme: 'bearer', params: {} }]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges(undefined)).toEqual([]);
  });

  it('skips what does not parse without throwing or looping', () => {
    expect(parseChallenges('"junk", Bearer error="x", =y, Basic realm="unterminated')).toEqual([
      { scheme: 'bearer', params: { error: 'x' } },
      { scheme: 'basic', params: { realm: 'unterminated' } },
    ]);
    expect(() => parseChallenges(',,, = ,"\\')).not.toThrow();
    expect(parseChallenges(`Bearer ${'a="b", '.repeat(5000)}`).length).toBe(1);
  });
});
