import type { ConsumerConfig, ProxyConfig } from '../config/app-config';

/**
 * Groups from the configured claim: an array of strings, or one string of comma- or space-separated names (glewlwyd
 * puts multi-valued properties in access tokens as `"admins,staff"`).
 */
export function groupsFrom(claims: Readonly<Record<string, unknown>>, config: ConsumerConfig): string[] {
  const value = claims[config.groupsClaim];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((group) => group !== '');
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return [];
}

/** Only the claims that UPSTREAM_HEADERS injects are kept in the vault; the rest stays inside the ID token. */
export function headerClaimsFrom(claims: Readonly<Record<string, unknown>>, config: ProxyConfig): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const { claim } of config.upstreamHeaders) if (claims[claim] !== undefined) picked[claim] = claims[claim];
  return picked;
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

function spaceSeparated(value: string): string[] {
  return value.split(' ').filter((entry) => entry !== '');
}

function stringsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((entry): entry is string => typeof entry === 'string' && entry !== '');
}
