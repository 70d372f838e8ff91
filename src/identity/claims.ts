import type { AccessTokenFacts } from './caller-identity';

/**
 * Groups from the configured claim: an array of strings, or one string of comma- or space-separated names (glewlwyd
 * puts multi-valued properties in access tokens as `"admins,staff"`).
 */
export function groupsFrom(claims: Readonly<Record<string, unknown>>, groupsClaim: string): string[] {
  const value = claims[groupsClaim];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((group) => group !== '');
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return [];
}

/** Only the claims UPSTREAM_HEADERS injects are kept; the rest stays inside the token. */
export function headerClaimsFrom(claims: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, unknown> {
  // fromEntries defines own properties: a claim named `__proto__` stays a claim.
  return Object.fromEntries(names.flatMap((claim) => (Object.hasOwn(claims, claim) && claims[claim] !== undefined ? [[claim, claims[claim]]] : [])));
}

/**
 * The payload of a JWT read without checking its signature: only for tokens this BFF was handed by the IdP's token
 * endpoint itself (or stored itself), whose claims it may then rely on, e.g. an access token's scopes.
 */
export function decodeJwtPayload(jwt: string | undefined): Record<string, unknown> {
  const payload = jwt?.split('.')[1];
  if (!payload) return {};
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
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

/**
 * A session's access token's scopes (the token response's `scope`, or the token's own claim where RFC 6749 §5.1 let
 * the IdP leave it out) and audiences. The token is read, not verified: it came straight from the IdP's token endpoint.
 */
export function accessTokenFacts(accessToken: string, scope: string | undefined): AccessTokenFacts {
  const claims = decodeJwtPayload(accessToken);
  return { scopes: scope?.split(' ') ?? scopesOf(claims), audiences: audiencesOf(claims) };
}

function spaceSeparated(value: string): string[] {
  return value.split(' ').filter((entry) => entry !== '');
}

function stringsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((entry): entry is string => typeof entry === 'string' && entry !== '');
}
