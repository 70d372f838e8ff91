import { AppError } from '../../common/app.error';

/**
 * A bearer token or Basic pair that failed is answered from memory for this long, by the hash the caches already key
 * it by, without asking the IdP again: a guesser pays a request per guess, we pay one IdP call per distinct guess.
 */
export const FAILED_CREDENTIAL_MEMORY_MS = 60_000;

/** What the token and credential caches hold for a failed credential, next to their successes. */
export class FailedCredential {
  constructor(readonly error: AppError) {}
}

/** Only the caller's own failures are remembered (401); an IdP in trouble (503) is asked again next time. */
export function isCredentialFailure(error: unknown): error is AppError {
  return error instanceof AppError && error.status === 401;
}

/** When a failure remembered now is forgotten (epoch ms). */
export function failureExpiry(now = Date.now()): number {
  return now + FAILED_CREDENTIAL_MEMORY_MS;
}
