import { ClientError } from 'openid-client';
import { classifyIdpError } from './idp-errors';

describe('classifyIdpError', () => {
  it('treats transport failures as an unreachable IdP', () => {
    expect(classifyIdpError(new TypeError('fetch failed'))).toEqual({ kind: 'unreachable' });
    expect(classifyIdpError(new ClientError('something went wrong'))).toEqual({ kind: 'unreachable' });
    expect(classifyIdpError(Object.assign(new ClientError('operation timed out'), { code: 'OAUTH_TIMEOUT' }))).toEqual({
      kind: 'unreachable',
    });
  });

  it('treats a failed validation of the answer as an invalid response', () => {
    const sut = Object.assign(new ClientError('unexpected JWT claim value encountered'), { code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' });
    expect(classifyIdpError(sut)).toEqual({ kind: 'invalid_response', code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' });
  });
});
