import { hash } from 'node:crypto';
import { AppError } from '../common/app.error';

/** What the BFF knows about a bearer token after checking it with the issuer. */
export interface VerifiedToken {
  claims: Readonly<Record<string, unknown>>;
  scopes: string[];
  audiences: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
  subject?: string;
}

const JWS_COMPACT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Three base64url parts; anything else (JWE included) is opaque to the BFF and goes to introspection. */
export function isJwtShaped(token: string): boolean {
  return JWS_COMPACT.test(token);
}

export function toVerifiedToken(claims: Readonly<Record<string, unknown>>, expiresAt: number): VerifiedToken {
  const subject = claims['sub'];
  return {
    claims: Object.freeze({ ...claims }),
    scopes: scopesOf(claims),
    audiences: audiencesOf(claims),
    expiresAt,
    ...(typeof subject === 'string' && subject !== '' ? { subject } : {}),
  };
}

/** `scope` is space-separated (RFC 9068, RFC 7662); Okta also sends `scp` as an array. */
export function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const scope = claims['scope'] ?? claims['scp'];
  return typeof scope === 'string' ? spaceSeparated(scope) : stringsOf(scope);
}

/** `aud` is one StringOrURI or an array of them (RFC 7519 §4.1.3). */
export function audiencesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const aud = claims['aud'];
  return typeof aud === 'string' ? stringsOf([aud]) : stringsOf(aud);
}

/** A token's cache key: a digest, so no map or log ever holds the token itself. */
export function tokenDigest(token: string): string {
  return hash('sha256', token, 'base64url');
}

export function invalidTokenError(cause?: unknown): AppError {
  return new AppError(401, 'invalid_token', 'The bearer token is invalid or expired.', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    cause,
  });
}

function spaceSeparated(value: string): string[] {
  return value.split(' ').filter((entry) => entry !== '');
}

function stringsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((entry): entry is string => typeof entry === 'string' && entry !== '');
}
