import type { SessionConsumer, VaultContents } from './session.types';

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
  const { accessToken, refreshToken, idToken, accessTokenExpiresAt, scope, sub, sid, groups, credential, consumer, headerClaims, acr, authTime } = value;
  if (typeof accessToken !== 'string' || typeof sub !== 'string' || typeof accessTokenExpiresAt !== 'number') return undefined;
  if (!optionalString(refreshToken) || !optionalString(idToken) || !optionalString(scope) || !optionalString(sid) || !optionalString(credential)) {
    return undefined;
  }
  if (!Array.isArray(groups) || !groups.every((group) => typeof group === 'string')) return undefined;
  if (consumer !== null && !isConsumer(consumer)) return undefined;
  if (!isRecord(headerClaims)) return undefined;
  if (!optionalString(acr) || (authTime !== undefined && typeof authTime !== 'number')) return undefined;
  return {
    accessToken,
    refreshToken,
    idToken,
    accessTokenExpiresAt,
    scope,
    sub,
    sid,
    groups: groups.filter((group): group is string => typeof group === 'string'),
    credential,
    consumer,
    headerClaims,
    ...(acr !== undefined ? { acr } : {}),
    ...(authTime !== undefined ? { authTime } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

function isConsumer(value: unknown): value is SessionConsumer {
  return (
    isRecord(value) &&
    typeof value['id'] === 'string' &&
    (value['username'] === null || typeof value['username'] === 'string') &&
    (value['custom_id'] === null || typeof value['custom_id'] === 'string')
  );
}
