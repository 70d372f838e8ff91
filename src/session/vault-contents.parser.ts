import { audiencesOf, decodeJwtPayload, scopesOf } from '../common/claims';
import type { ConsumerIdentity } from '../common/consumer-identity';
import { deviceBindingFrom } from '../device-binding/device-binding.types';
import type { VaultContents } from './session.types';

/**
 * Decrypted vault contents crossed a trust boundary (Redis), so they are checked field by field before use.
 * Hand-written rather than a schema library: this runs on every proxied request.
 */
export function parseVaultContents(json: string): VaultContents | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return toVaultContents(value);
}

/** The same check on a value already parsed. */
export function toVaultContents(value: unknown): VaultContents | undefined {
  if (!isRecord(value)) return undefined;
  const { accessToken, refreshToken, idToken, accessTokenExpiresAt, scope, scopes, audiences, sub, sid, groups, credential, consumer, headerClaims, acr, authTime } = value;
  if (typeof accessToken !== 'string' || typeof sub !== 'string' || typeof accessTokenExpiresAt !== 'number') return undefined;
  if (!optionalString(refreshToken) || !optionalString(idToken) || !optionalString(scope) || !optionalString(sid) || !optionalString(credential)) {
    return undefined;
  }
  if (!Array.isArray(groups) || !groups.every((group) => typeof group === 'string')) return undefined;
  if (consumer !== null && !isConsumer(consumer)) return undefined;
  if (!isRecord(headerClaims)) return undefined;
  if (!optionalString(acr) || (authTime !== undefined && typeof authTime !== 'number')) return undefined;
  if (!optionalStrings(scopes) || !optionalStrings(audiences)) return undefined;
  const deviceBinding = deviceBindingFrom(value['deviceBinding']);
  if (deviceBinding === null) return undefined;
  // Sessions stored before the facts were kept work them out once here, on their first read.
  const facts = scopes && audiences ? { scopes, audiences } : accessTokenFacts(accessToken, scope);
  return {
    accessToken,
    refreshToken,
    idToken,
    accessTokenExpiresAt,
    scope,
    ...facts,
    sub,
    sid,
    groups: groups.filter((group): group is string => typeof group === 'string'),
    credential,
    consumer,
    headerClaims,
    ...(acr !== undefined ? { acr } : {}),
    ...(authTime !== undefined ? { authTime } : {}),
    ...(deviceBinding ? { deviceBinding } : {}),
  };
}

/**
 * The access token's scopes (the token response's `scope`, or the token's own claim where RFC 6749 §5.1 let the IdP
 * leave it out) and audiences. The token is read, not verified: it came straight from the IdP's token endpoint.
 */
export function accessTokenFacts(accessToken: string, scope: string | undefined): Pick<VaultContents, 'scopes' | 'audiences'> {
  const claims = decodeJwtPayload(accessToken);
  return { scopes: scope?.split(' ') ?? scopesOf(claims), audiences: audiencesOf(claims) };
}

function optionalStrings(value: unknown): value is string[] | undefined {
  return value === undefined || (Array.isArray(value) && value.every((entry) => typeof entry === 'string'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

function isConsumer(value: unknown): value is ConsumerIdentity {
  return (
    isRecord(value) &&
    typeof value['id'] === 'string' &&
    (value['username'] === null || typeof value['username'] === 'string') &&
    (value['custom_id'] === null || typeof value['custom_id'] === 'string')
  );
}
