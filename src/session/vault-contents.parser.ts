import { accessTokenFacts } from '../identity/claims';
import type { CallerIdentity } from '../identity/caller-identity';
import { isRecord, isStrings, optionalString, parseCallerIdentity, parseConsumer } from '../identity/caller-identity.parser';
import { deviceBindingFrom } from '../device-binding/device-binding.types';
import { DpopKey } from '../dpop/dpop-key';
import type { ExchangedToken, VaultContents } from './session.types';

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
  const { accessToken, refreshToken, idToken, accessTokenExpiresAt, scope, sub, sid } = value;
  if (typeof accessToken !== 'string' || typeof sub !== 'string' || typeof accessTokenExpiresAt !== 'number') return undefined;
  if (!optionalString(refreshToken) || !optionalString(idToken) || !optionalString(scope) || !optionalString(sid)) return undefined;
  const identity = value['identity'] === undefined ? identityStoredBefore(value, accessToken, scope) : parseCallerIdentity(value['identity']);
  if (!identity) return undefined;
  const deviceBinding = deviceBindingFrom(value['deviceBinding']);
  if (deviceBinding === null) return undefined;
  // Imported here, once per read from Redis: a session served from the instance's cache signs with it as it is.
  const dpopKey = DpopKey.fromSealed(value['dpopKey']);
  if (dpopKey === null) return undefined;
  const exchanged = parseExchanged(value['exchanged']);
  const userinfo = isRecord(value['userinfo']) ? value['userinfo'] : undefined;
  return {
    accessToken,
    refreshToken,
    idToken,
    accessTokenExpiresAt,
    scope,
    sub,
    sid,
    identity,
    ...(deviceBinding ? { deviceBinding } : {}),
    ...(dpopKey && { dpopKey }),
    ...(exchanged && { exchanged }),
    ...(userinfo && { userinfo }),
  };
}

/** Exchanged tokens by route key; an entry that is not one is dropped (the route exchanges again), not the session. */
function parseExchanged(value: unknown): Record<string, ExchangedToken> | undefined {
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value).flatMap(([key, entry]): [string, ExchangedToken][] => {
    if (!isRecord(entry) || typeof entry['accessToken'] !== 'string' || typeof entry['expiresAt'] !== 'number') return [];
    return [[key, { accessToken: entry['accessToken'], expiresAt: entry['expiresAt'] }]];
  });
  return Object.fromEntries(entries);
}

/**
 * Sessions stored before the identity had one home kept its parts beside the tokens (and, before that, no scopes or
 * audiences: worked out here, once, on their first read). They never knew whether their consumer was the anonymous
 * one, so they say not until their next login.
 */
function identityStoredBefore(value: Record<string, unknown>, accessToken: string, scope: string | undefined): CallerIdentity | undefined {
  const { credential, groups, headerClaims, acr, authTime, scopes, audiences } = value;
  const consumer = parseConsumer(value['consumer']);
  if (consumer === undefined || !optionalString(credential) || !optionalString(acr) || !isStrings(groups) || !isRecord(headerClaims)) return undefined;
  if (authTime !== undefined && typeof authTime !== 'number') return undefined;
  if ((scopes !== undefined && !isStrings(scopes)) || (audiences !== undefined && !isStrings(audiences))) return undefined;
  const access = scopes && audiences ? { scopes, audiences } : accessTokenFacts(accessToken, scope);
  return { consumer, anonymous: false, credential, groups, ...access, acr, authTime, headerClaims };
}
