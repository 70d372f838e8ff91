import { errors, type JWTVerifyGetKey } from 'jose';

const FIRST_DELAY_MS = 250;
// Short: bearer callers are refused while it lasts, and the IdP may well be back by then.
const MAX_DELAY_MS = 5_000;

// Failures a token's header causes; anything else from the key set means its endpoint could not be read.
const TOKEN_KEY_FAILURES = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported, errors.JOSEAlgNotAllowed];

/** Whether a key lookup failed because of the token (its `kid`, its `alg`) rather than the key set endpoint. */
export function isTokenKeyFailure(error: unknown): boolean {
  return TOKEN_KEY_FAILURES.some((kind) => error instanceof kind);
}

/** Thrown instead of fetching while the key set endpoint is in its back-off period. */
export class KeySetBackoff extends Error {
  constructor(retryInMs: number) {
    super(`the issuer key set failed recently; next attempt in ${retryInMs} ms`);
  }
}

/**
 * jose refetches a key set that failed on every verification; while the IdP is down that is one request per bearer
 * call. This wraps it so that failures back off exponentially (250 ms doubling to 5 s) and a success resets.
 */
export function withBackoff(keys: JWTVerifyGetKey, now: () => number = Date.now): JWTVerifyGetKey {
  let failures = 0;
  let retryAt = 0;
  return async (header, token) => {
    const wait = retryAt - now();
    if (wait > 0) throw new KeySetBackoff(wait);
    try {
      const key = await keys(header, token);
      failures = 0;
      return key;
    } catch (error: unknown) {
      if (!isTokenKeyFailure(error)) {
        retryAt = now() + Math.min(FIRST_DELAY_MS * 2 ** failures, MAX_DELAY_MS);
        failures += 1;
      }
      throw error;
    }
  };
}
