import type { CallerIdentity, ConsumerIdentity } from './caller-identity';

/**
 * An identity read back from the vault crossed a trust boundary (Redis): checked field by field, absent optional
 * fields restored as `undefined` (JSON drops them). Hand-written rather than a schema library: it runs on every
 * session read that misses the cache.
 */
export function parseCallerIdentity(value: unknown): CallerIdentity | undefined {
  if (!isRecord(value)) return undefined;
  const { anonymous, credential, groups, scopes, audiences, acr, authTime, headerClaims } = value;
  const consumer = parseConsumer(value['consumer']);
  if (consumer === undefined || typeof anonymous !== 'boolean' || !optionalString(credential) || !optionalString(acr)) return undefined;
  if (authTime !== undefined && typeof authTime !== 'number') return undefined;
  if (!isStrings(groups) || !isStrings(scopes) || !isStrings(audiences) || !isRecord(headerClaims)) return undefined;
  return { consumer, anonymous, credential, groups, scopes, audiences, acr, authTime, headerClaims };
}

/** A stored consumer (or `null`, none), `undefined` when the value is neither. */
export function parseConsumer(value: unknown): ConsumerIdentity | null | undefined {
  if (value === null) return null;
  if (!isRecord(value)) return undefined;
  const { id, username, custom_id: customId } = value;
  if (typeof id !== 'string' || !nullableString(username) || !nullableString(customId)) return undefined;
  return { id, username, custom_id: customId };
}

export function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

function nullableString(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}
