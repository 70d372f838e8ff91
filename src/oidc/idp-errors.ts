import { AuthorizationResponseError, ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';

export type IdpFailure =
  | { kind: 'rejected'; error: string } // the IdP answered with an OAuth error (invalid_grant, access_denied, …)
  | { kind: 'invalid_response'; code: string } // its answer failed validation (ID token signature, nonce, iss, …)
  | { kind: 'unreachable' }; // network error, timeout, or a non-OAuth answer such as a 502 from its load balancer

// openid-client codes that mean "the IdP did not answer properly", not "the answer was forged or wrong".
const UNREACHABLE_CODES = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_TIMEOUT', 'OAUTH_ABORT']);

/** Sorts what openid-client throws into the cases the BFF answers differently (401 vs 503). */
export function classifyIdpError(error: unknown): IdpFailure {
  if (error instanceof ResponseBodyError || error instanceof AuthorizationResponseError) {
    return { kind: 'rejected', error: error.error };
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    return { kind: 'rejected', error: error.cause[0]?.parameters.error ?? 'invalid_client' };
  }
  if (error instanceof ClientError) {
    // Without a code, openid-client is wrapping a transport failure (connection refused or reset).
    if (error.code === undefined || UNREACHABLE_CODES.has(error.code)) return { kind: 'unreachable' };
    return { kind: 'invalid_response', code: error.code };
  }
  return { kind: 'unreachable' };
}
