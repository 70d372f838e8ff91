import type { CallerIdentity } from '../../src/identity/caller-identity';

/** A caller's identity for unit specs: nobody in particular, with what the spec changes. */
export function identityWith(changes: Partial<CallerIdentity> = {}): CallerIdentity {
  return { consumer: null, anonymous: false, credential: undefined, groups: [], scopes: [], audiences: [], acr: undefined, authTime: undefined, headerClaims: {}, ...changes };
}
