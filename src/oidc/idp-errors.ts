import { AuthorizationResponseError, ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { ServiceUnavailableError } from '../common/app.error';

/**
 * What an IdP's answer means for the caller, whatever the endpoint (token, revocation, introspection):
 * - `grant_rejected`: a 400 (any body, JSON or not) or an error in the authorization response: the code, refresh token
 *   or credentials presented are no good;
 * - `client_rejected`: a 401, 403 or another 4xx: the IdP refuses this client (its authentication, its registration);
 * - `invalid_response`: a 2xx answer that fails validation (ID token, `token_type`, no `access_token`);
 * - `unreachable`: a network failure, a timeout, a 5xx, or no OAuth answer at all (a proxy's 200 HTML page).
 */
export type IdpFailure =
  | { kind: 'grant_rejected'; status?: number; error?: string }
  | { kind: 'client_rejected'; status: number; error?: string }
  | { kind: 'invalid_response'; code: string }
  | { kind: 'unreachable'; status?: number };

/** What an operator checks when the IdP refuses the BFF's own client authentication (named in log lines). */
export const CLIENT_CREDENTIALS_HINT = 'check OIDC_CLIENT_ID, OIDC_TOKEN_ENDPOINT_AUTH_METHOD, and OIDC_CLIENT_SECRET or OIDC_CLIENT_PRIVATE_KEY_FILE';

/** An answer from the IdP that the BFF refuses to use; `code` says which check failed. */
export class InvalidIdpAnswer extends Error {
  constructor(
    readonly code: string,
    cause?: unknown,
  ) {
    super(`the identity provider's answer failed validation: ${code}`, { cause });
  }
}

/** The IdP's key set could not be read: the key set endpoint's fault, not the token's. */
export class KeySetUnreachable extends Error {
  constructor(cause: unknown) {
    super('the issuer key set could not be fetched', { cause });
  }
}

// openid-client codes for a 2xx answer that is not the IdP's (not JSON, unparsable) or a request that never finished.
const UNREACHABLE_CODES = new Set(['OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_PARSE_ERROR', 'OAUTH_TIMEOUT', 'OAUTH_ABORT']);
const BAD_REQUEST = 400;

/** The one place that sorts what openid-client (or our own checks of its answers) throws. */
export function classifyIdpError(error: unknown): IdpFailure {
  if (error instanceof InvalidIdpAnswer) return { kind: 'invalid_response', code: error.code };
  if (error instanceof KeySetUnreachable || error instanceof ServiceUnavailableError) return { kind: 'unreachable' };
  if (error instanceof AuthorizationResponseError) return { kind: 'grant_rejected', error: error.error };
  const status = statusOf(error);
  if (status !== undefined && status >= BAD_REQUEST) return byStatus(status, oauthErrorOf(error));
  if (error instanceof ClientError && error.code !== undefined && status === undefined && !UNREACHABLE_CODES.has(error.code)) {
    return { kind: 'invalid_response', code: error.code };
  }
  // A TypeError from fetch, a ClientError without a code (a wrapped transport failure), or a 2xx/3xx non-answer.
  return status === undefined ? { kind: 'unreachable' } : { kind: 'unreachable', status };
}

/** Whether the IdP said no to what the caller presented (as opposed to being down or answering nonsense). */
export function isRefusal(failure: IdpFailure): boolean {
  return failure.kind === 'grant_rejected' || failure.kind === 'client_rejected';
}

function byStatus(status: number, error: string | undefined): IdpFailure {
  const detail = error === undefined ? {} : { error };
  if (status >= 500) return { kind: 'unreachable', status };
  if (status === BAD_REQUEST) return { kind: 'grant_rejected', status, ...detail };
  return { kind: 'client_rejected', status, ...detail };
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof ResponseBodyError || error instanceof WWWAuthenticateChallengeError) return error.status;
  // openid-client keeps the Response as the cause of "unexpected HTTP status code" and "not JSON" failures.
  if (error instanceof ClientError && error.cause instanceof Response) return error.cause.status;
  return undefined;
}

function oauthErrorOf(error: unknown): string | undefined {
  if (error instanceof ResponseBodyError) return error.error.slice(0, 64);
  if (error instanceof WWWAuthenticateChallengeError) return error.cause[0]?.parameters.error?.slice(0, 64);
  return undefined;
}

export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
