import type { TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';
import { InvalidIdpAnswer } from './idp-errors';
import { toTokenResult } from './token-result';

type Fields = Partial<Omit<TokenEndpointResponse, 'token_type'>> & { token_type?: string };

function response(fields: Fields): TokenEndpointResponse & TokenEndpointResponseHelpers {
  // openid-client lower-cases token_type; the check must not rely on that.
  const body = { access_token: 'at', token_type: 'bearer', expires_in: 60, ...fields } as TokenEndpointResponse;
  return Object.assign(body, { claims: () => undefined, expiresIn: () => body.expires_in });
}

const codeOf = (fields: Fields, expected: 'bearer' | 'dpop' = 'bearer') => {
  try {
    toTokenResult(response(fields), Date.now(), expected);
    return 'accepted';
  } catch (error: unknown) {
    return error instanceof InvalidIdpAnswer ? error.code : 'other error';
  }
};

describe('toTokenResult', () => {
  it('takes a Bearer token in any case', () => {
    expect(toTokenResult(response({ token_type: 'Bearer', refresh_token: 'rt' }), 1_000)).toEqual({
      accessToken: 'at',
      refreshToken: 'rt',
      idToken: undefined,
      expiresAt: 61_000,
      scope: undefined,
    });
    expect(codeOf({ token_type: 'BEARER' })).toBe('accepted');
  });

  it.each(['dpop', 'mac', 'n_a'])('refuses token_type %s', (tokenType) => {
    expect(codeOf({ token_type: tokenType })).toBe('token_type');
  });

  it('takes only a DPoP token when the request carried a proof (OIDC_DPOP): an unbound Bearer one is refused', () => {
    expect(codeOf({ token_type: 'DPoP' }, 'dpop')).toBe('accepted');
    expect(codeOf({ token_type: 'Bearer' }, 'dpop')).toBe('token_type');
  });

  it('refuses an answer without an access token', () => {
    expect(codeOf({ access_token: '' })).toBe('access_token');
  });
});
