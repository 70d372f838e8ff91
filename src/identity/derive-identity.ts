import type { ConsumerConfig, ProxyConfig } from '../config/app-config';
import type { AccessTokenFacts, CallerIdentity, ConsumerMapping } from './caller-identity';
import { groupsFrom, headerClaimsFrom } from './claims';

/** What of the configuration shapes an identity: GROUPS_CLAIM, and the claims UPSTREAM_HEADERS injects. */
export interface IdentitySettings {
  groupsClaim: string;
  headerClaims: readonly string[];
}

export function identitySettingsOf(consumer: Pick<ConsumerConfig, 'groupsClaim'>, proxy: Pick<ProxyConfig, 'upstreamHeaders'>): IdentitySettings {
  return { groupsClaim: consumer.groupsClaim, headerClaims: [...new Set(proxy.upstreamHeaders.map(({ claim }) => claim))] };
}

/**
 * The one builder of a caller's identity, for every credential alike: a login's ID token claims, a bearer token's
 * claims (verified or introspected), a client-credentials token's. `mapping` is what the consumer rules found for
 * those claims, `access` what the access token says of its scopes and audiences.
 */
export function deriveCallerIdentity(
  claims: Readonly<Record<string, unknown>>,
  mapping: ConsumerMapping,
  access: AccessTokenFacts,
  settings: IdentitySettings,
): CallerIdentity {
  const { acr, auth_time: authTime } = claims;
  return {
    consumer: mapping.consumer,
    anonymous: mapping.anonymous,
    credential: mapping.credential,
    groups: groupsFrom(claims, settings.groupsClaim),
    scopes: access.scopes,
    audiences: access.audiences,
    acr: typeof acr === 'string' ? acr : undefined,
    authTime: typeof authTime === 'number' ? authTime : undefined,
    headerClaims: headerClaimsFrom(claims, settings.headerClaims),
  };
}
