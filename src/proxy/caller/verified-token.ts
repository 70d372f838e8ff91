import { AppError } from '../../common/app.error';
import { sha256Base64url } from '../../common/sha256';
import { audiencesOf, scopesOf } from '../../identity/claims';

/** What the BFF knows about a bearer token after checking it with the issuer. */
export interface VerifiedToken {
  claims: Readonly<Record<string, unknown>>;
  scopes: string[];
  audiences: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
  subject?: string;
  /** RFC 9449 §6: the thumbprint of the key the token is bound to (`cnf.jkt`, in the JWT or the introspection answer). */
  boundKey?: string;
}

const JWS_COMPACT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Three base64url parts; anything else (JWE included) is opaque to the BFF and goes to introspection. */
export function isJwtShaped(token: string): boolean {
  return JWS_COMPACT.test(token);
}

export function toVerifiedToken(claims: Readonly<Record<string, unknown>>, expiresAt: number): VerifiedToken {
  const subject = claims['sub'];
  const boundKey = boundKeyOf(claims['cnf']);
  return {
    claims: Object.freeze({ ...claims }),
    scopes: scopesOf(claims),
    audiences: audiencesOf(claims),
    expiresAt,
    ...(typeof subject === 'string' && subject !== '' ? { subject } : {}),
    ...(boundKey !== undefined ? { boundKey } : {}),
  };
}

function boundKeyOf(confirmation: unknown): string | undefined {
  if (typeof confirmation !== 'object' || confirmation === null) return undefined;
  const { jkt } = confirmation as { jkt?: unknown };
  return typeof jkt === 'string' && jkt !== '' ? jkt : undefined;
}

/** A token's cache key: a digest, so no map or log ever holds the token itself. */
export function tokenDigest(token: string): string {
  return sha256Base64url(token);
}

export function invalidTokenError(cause?: unknown): AppError {
  return new AppError(401, 'invalid_token', 'The bearer token is invalid or expired.', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    cause,
  });
}
