import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { BoundedCache } from '../../../common/bounded-cache';
import { sha256Base64url } from '../../../common/sha256';

// RFC 7638 §3.2: the required members of each key type, in lexicographic order — which is also what names a key.
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] };
const MAX_KEYS = 10_000;
const KEEP_MS = 10 * 60_000;

/** A proof's public key by its required members only, and its RFC 7638 thumbprint (what `cnf.jkt` names). */
export interface ProofKey {
  thumbprint: string;
  key: KeyObject;
}

/**
 * The public keys proofs carry, imported once per key rather than once per request: a DPoP client signs every call with
 * the same key, and importing it costs as much as verifying the signature. Only the required members are read, so two
 * spellings of one key (extra members, another order) are one entry.
 */
export class ProofKeys {
  private readonly keys = new BoundedCache<KeyObject>(MAX_KEYS);

  /** Undefined for a JWK that is not an EC, RSA or OKP public key with its required members as strings. */
  keyOf(jwk: Readonly<Record<string, unknown>>): ProofKey | undefined {
    const canonical = requiredMembersOf(jwk);
    if (canonical === undefined) return undefined;
    const thumbprint = sha256Base64url(canonical);
    const known = this.keys.get(thumbprint);
    if (known) return { thumbprint, key: known };
    let key: KeyObject;
    try {
      key = createPublicKey({ key: JSON.parse(canonical) as JWK, format: 'jwk' });
    } catch {
      return undefined;
    }
    this.keys.set(thumbprint, key, Date.now() + KEEP_MS);
    return { thumbprint, key };
  }
}

/** RFC 7638 §3.3: the required members as JSON, in order, without whitespace. */
function requiredMembersOf(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = REQUIRED_MEMBERS[String(jwk['kty'])];
  if (members === undefined) return undefined;
  const required: Record<string, string> = {};
  for (const member of members) {
    const value: unknown = jwk[member];
    if (typeof value !== 'string' || value === '') return undefined;
    required[member] = value;
  }
  return JSON.stringify(required);
}
