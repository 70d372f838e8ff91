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

/** The payload of a JWT we already validated (or stored ourselves), for display; never used to make a trust decision. */
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
