import { AppError } from '../../../common/app.error';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../../../common/jws-algorithms';

/** Asymmetric only (RFC 9449 §4.3 check 5). */
export const DPOP_ALGORITHMS = ASYMMETRIC_JWS_ALGORITHMS;

const ALGS = `algs="${DPOP_ALGORITHMS.join(' ')}"`;

type DpopErrorCode = 'invalid_dpop_proof' | 'invalid_token';

/** RFC 9449 §7.1: the DPoP challenge, with the algorithms a proof may use. */
export function dpopChallenge(error?: DpopErrorCode): string {
  return error ? `DPoP error="${error}", ${ALGS}` : `DPoP ${ALGS}`;
}

/** A proof that fails a check of RFC 9449 §4.3; `reason` names the check, never a value the client sent. */
export function invalidDpopProof(reason: string): AppError {
  return new AppError(401, 'invalid_dpop_proof', `The DPoP proof is invalid: ${reason}.`, {
    headers: { 'www-authenticate': dpopChallenge('invalid_dpop_proof') },
  });
}

/** The token is not usable the way it was presented (bound to another key, not bound, or bound but sent as Bearer). */
export function dpopTokenError(reason: string): AppError {
  return new AppError(401, 'invalid_token', `The access token cannot be used this way: ${reason}.`, {
    headers: { 'www-authenticate': dpopChallenge('invalid_token') },
  });
}

/** The DPoP scheme on a route that leaves `dpop` off: the route speaks Bearer only, and says so. */
export function dpopNotAccepted(): AppError {
  return new AppError(401, 'invalid_token', 'This route does not accept the DPoP scheme (its dpop option is off).', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}

/** A DPoP-bound token sent as Bearer to a route that takes no proofs: usable nowhere without its key, so not here. */
export function boundTokenNotAccepted(): AppError {
  return new AppError(401, 'invalid_token', 'The access token is DPoP-bound and this route takes no DPoP proofs (its dpop option is off).', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}

/** A token refused on its own (expired, forged…) but presented with the DPoP scheme is challenged in that scheme. */
export function inDpopScheme(error: unknown): unknown {
  if (!(error instanceof AppError) || error.status !== 401 || error.code !== 'invalid_token') return error;
  return new AppError(401, error.code, error.message, { headers: { 'www-authenticate': dpopChallenge('invalid_token') }, cause: error.cause });
}
