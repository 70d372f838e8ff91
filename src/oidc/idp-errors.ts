import { AuthorizationResponseError, ClientError, ResponseBodyError } from 'openid-client';

export type IdpFailure =
  | { kind: 'rejected'; error: string } // the IdP answered with an OAuth error (invalid_grant, access_denied, …)
  | { kind: 'invalid_response'; code: string } // its answer failed validation (ID token signature, nonce, iss, …)
  | { kind: 'unreachable' }; // network error, timeout, or a non-OAuth answer such as a 502 from its load balancer

// openid-client codes that mean "the IdP did not answer properly", not "the answer was forged or wrong".
const UNREACHABLE_CODES = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON']);

/** Sorts what openid-client throws into the cases the BFF answers differently (401 vs 503). */
export function classifyIdpError(error: unknown): IdpFailure {
  if (error instanceof ResponseBodyError || error instanceof AuthorizationResponseError) {
    return { kind: 'rejected', error: error.error };
  }
  if (error instanceof ClientError) {
    const code = error.code ?? 'invalid_response';
    return UNREACHABLE_CODES.has(code) ? { kind: 'unreachable' } : { kind: 'invalid_response', code };
  }
  return { kind: 'unreachable' };
}
