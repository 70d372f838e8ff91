import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { BoundedCache } from '../../../common/bounded-cache';

// RFC 7638 §3.2: the required members of each key type — what names a key.
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] };
const MAX_KEYS = 10_000;
const KEEP_MS = 10 * 60_000;
// An RSA verification costs what the modulus and exponent make it: OpenSSL caps the exponent at 64 bits only above
// 3072-bit moduli, so below that a client could make each proof cost ~50 times an ES256 one; an 8192-bit modulus with a
// 64-bit exponent still costs ~7 times. Real keys use 3 or 65537, and 4096 bits at most.
const MAX_RSA_MODULUS_BITS = 4096;
const MAX_RSA_EXPONENT = 2n ** 64n;

/** A proof's public key by its required members only, and its RFC 7638 thumbprint (what `cnf.jkt` names). */
export interface ProofKey {
  thumbprint: string;
  key: KeyObject;
}

/**
 * The public keys proofs carry, imported (and their thumbprint computed) once per key rather than once per request: a
 * DPoP client signs every call with the same key, and importing it costs as much as verifying the signature. Only the
 * required members are read, so two spellings of one key (extra members, another order) are one entry.
 */
export class ProofKeys {
  private readonly keys = new BoundedCache<ProofKey>(MAX_KEYS);

  /** Undefined for a JWK that is not an EC, RSA or OKP public key with its required members as strings. */
  async keyOf(jwk: Readonly<Record<string, unknown>>): Promise<ProofKey | undefined> {
    const canonical = requiredMembersOf(jwk);
    if (canonical === undefined) return undefined;
    const known = this.keys.get(canonical);
    if (known) return known;
    const publicJwk = JSON.parse(canonical) as JWK;
    let found: ProofKey;
    try {
      found = { key: createPublicKey({ key: publicJwk, format: 'jwk' }), thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256') };
    } catch {
      return undefined;
    }
    if (!isCheapToVerify(found.key)) return undefined;
    this.keys.set(canonical, found, Date.now() + KEEP_MS);
    return found;
  }
}

/** The required members as JSON, in lexicographic order: one spelling per key. */
function requiredMembersOf(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const kty = jwk['kty'];
  // Own entries only: a `kty` of `constructor` or `__proto__` must not find Object.prototype's.
  if (typeof kty !== 'string' || !Object.hasOwn(REQUIRED_MEMBERS, kty)) return undefined;
  const members = REQUIRED_MEMBERS[kty];
  if (members === undefined) return undefined;
  const required: Record<string, string> = {};
  for (const member of members) {
    const value: unknown = jwk[member];
    if (typeof value !== 'string' || value === '') return undefined;
    required[member] = value;
  }
  return JSON.stringify(required);
}

function isCheapToVerify(key: KeyObject): boolean {
  if (key.asymmetricKeyType !== 'rsa') return true;
  const { modulusLength = Infinity, publicExponent = MAX_RSA_EXPONENT } = key.asymmetricKeyDetails ?? {};
  return modulusLength <= MAX_RSA_MODULUS_BITS && publicExponent < MAX_RSA_EXPONENT;
}
