import { ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { ServiceUnavailableError } from '../common/app.error';
import { classifyIdpError, InvalidIdpAnswer, KeySetUnreachable } from './idp-errors';

/** What openid-client throws for a non-200 answer that is not an OAuth error body (it keeps the Response as cause). */
const clientError = (message: string, code: string, cause?: unknown) => Object.assign(new ClientError(message, { cause }), { code });
const nonOAuthAnswer = (status: number, code = 'OAUTH_RESPONSE_IS_NOT_CONFORM') =>
  clientError('unexpected HTTP response status code', code, new Response(null, { status }));
const oauthError = (status: number, error: string) =>
  new ResponseBodyError('server responded with an error in the response body', { cause: { error }, response: new Response(null, { status }) });

describe('classifyIdpError', () => {
  it('treats transport failures, timeouts and a failed discovery as an unreachable IdP', () => {
    expect(classifyIdpError(new TypeError('fetch failed'))).toEqual({ kind: 'unreachable' });
    expect(classifyIdpError(new ClientError('something went wrong'))).toEqual({ kind: 'unreachable' });
    expect(classifyIdpError(clientError('operation timed out', 'OAUTH_TIMEOUT'))).toEqual({ kind: 'unreachable' });
    expect(classifyIdpError(new KeySetUnreachable(new TypeError('fetch failed')))).toEqual({ kind: 'unreachable' });
    expect(classifyIdpError(new ServiceUnavailableError('idp'))).toEqual({ kind: 'unreachable' });
  });

  it.each([500, 502, 503, 504])('treats a %i, JSON or not, as unreachable', (status) => {
    expect(classifyIdpError(nonOAuthAnswer(status))).toEqual({ kind: 'unreachable', status });
  });

  it('treats a 200 that is not JSON (a proxy page) as unreachable', () => {
    expect(classifyIdpError(nonOAuthAnswer(200, 'OAUTH_RESPONSE_IS_NOT_JSON'))).toEqual({ kind: 'unreachable', status: 200 });
  });

  it('treats a 400 as the grant rejected whatever its body: OAuth JSON, another JSON, empty or HTML', () => {
    expect(classifyIdpError(oauthError(400, 'invalid_grant'))).toEqual({ kind: 'grant_rejected', status: 400, error: 'invalid_grant' });
    expect(classifyIdpError(oauthError(400, 'server_error'))).toEqual({ kind: 'grant_rejected', status: 400, error: 'server_error' });
    expect(classifyIdpError(nonOAuthAnswer(400))).toEqual({ kind: 'grant_rejected', status: 400 });
    expect(classifyIdpError(nonOAuthAnswer(400, 'OAUTH_RESPONSE_IS_NOT_JSON'))).toEqual({ kind: 'grant_rejected', status: 400 });
  });

  it('treats 401 and 403, with or without a body or a challenge, as the client rejected', () => {
    expect(classifyIdpError(oauthError(401, 'invalid_client'))).toEqual({ kind: 'client_rejected', status: 401, error: 'invalid_client' });
    expect(classifyIdpError(nonOAuthAnswer(403, 'OAUTH_RESPONSE_IS_NOT_JSON'))).toEqual({ kind: 'client_rejected', status: 403 });
    const challenge = new WWWAuthenticateChallengeError('challenge', {
      cause: [{ scheme: 'basic', parameters: { realm: 'idp' } }],
      response: new Response(null, { status: 401 }),
    });
    expect(classifyIdpError(challenge)).toEqual({ kind: 'client_rejected', status: 401 });
  });

  it('treats a 200 that fails validation as an invalid response, naming the check', () => {
    expect(classifyIdpError(clientError('unexpected JWT claim value encountered', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'))).toEqual({
      kind: 'invalid_response',
      code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
    });
    expect(classifyIdpError(clientError('invalid response encountered', 'OAUTH_INVALID_RESPONSE'))).toEqual({
      kind: 'invalid_response',
      code: 'OAUTH_INVALID_RESPONSE',
    });
    expect(classifyIdpError(new InvalidIdpAnswer('token_type'))).toEqual({ kind: 'invalid_response', code: 'token_type' });
  });
});
