import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { sha256Base64url } from '../../../common/sha256';
import { DPOP_ALGORITHMS, dpopTokenError, invalidDpopProof } from './dpop-errors';
import { htuMatches } from './dpop-target';
import type { ProofKey, ProofKeys } from './proof-keys';

/** RFC 9449 §4.3 check 11: how far a proof's `iat` may be from our clock, either way. */
export const PROOF_IAT_WINDOW_SECONDS = 60;

/** What the request says a proof must be about. */
export interface ProofExpectations {
  /** The request's method, as received. */
  method: string;
  /** PUBLIC_URL's origin: where the client sent the request. */
  publicOrigin: string;
  /** The request's path as received, without its query. */
  path: string;
  /** The access token the proof comes with (`ath`). */
  accessToken: string;
  /** The token's `cnf.jkt`: the thumbprint of the only key that may sign its proofs. */
  boundKey: string;
  /** Epoch milliseconds. */
  now: number;
}

/** A proof that passed every check but the replay check, which needs the shared store. */
export interface CheckedProof {
  jti: string;
  keyThumbprint: string;
}

const JWS_COMPACT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
// RFC 7517/7518: the members that make a JWK private (RSA, EC and OKP), or a symmetric key (`k`).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_JTI_LENGTH = 256;

/** RFC 9449 §4.3 checks 2-9, 11 and 12 (no nonces are issued, so 10 does not apply); the first failure is thrown. */
export async function checkDpopProof(proof: string, expect: ProofExpectations, keys: ProofKeys): Promise<CheckedProof> {
  if (!JWS_COMPACT.test(proof)) throw invalidDpopProof('not a signed JWT');
  const { key, thumbprint } = await proofKeyOf(proof, keys);
  const payload = await verifiedPayload(proof, key);
  if (payload['htm'] !== expect.method) throw invalidDpopProof('htm does not match the request method');
  if (!htuMatches(payload['htu'], expect.publicOrigin, expect.path)) throw invalidDpopProof('htu does not match the request URI');
  const { iat, jti } = payload;
  if (typeof iat !== 'number' || Math.abs(expect.now / 1000 - iat) > PROOF_IAT_WINDOW_SECONDS) throw invalidDpopProof('iat is missing or not recent');
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw invalidDpopProof('jti is missing or too long');
  if (payload['ath'] !== sha256Base64url(expect.accessToken)) throw invalidDpopProof('ath is not the hash of the access token');
  // RFC 9449 §7.1's own example: a proof by another key than the token's is the token's problem.
  if (thumbprint !== expect.boundKey) throw dpopTokenError('it is bound to another key than the proof');
  return { jti, keyThumbprint: thumbprint };
}

/** Checks 4, 5 and 7 on the protected header, then its key (what jose's EmbeddedJWK checks too, imported once per key). */
async function proofKeyOf(proof: string, keys: ProofKeys): Promise<ProofKey> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalidDpopProof('not a signed JWT');
  }
  if (header.typ !== 'dpop+jwt') throw invalidDpopProof('typ must be dpop+jwt');
  if (header.alg === undefined || !DPOP_ALGORITHMS.includes(header.alg)) throw invalidDpopProof('alg is not an allowed asymmetric algorithm');
  const { jwk } = header;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalidDpopProof('jwk is missing');
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw invalidDpopProof('jwk must be a public key');
  const { use, alg } = jwk as JWK;
  if ((use !== undefined && use !== 'sig') || (alg !== undefined && alg !== header.alg)) throw invalidDpopProof('jwk is not meant for this signature');
  const key = await keys.keyOf(jwk);
  if (!key) throw invalidDpopProof('jwk is not a supported public key');
  return key;
}

/**
 * Check 6: the signature, by the key the header carries (jose refuses a key of another type or curve than `alg`), and
 * jose's own checks: no `crit` it does not know, no past `exp`.
 */
async function verifiedPayload(proof: string, key: KeyObject): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(proof, key, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS });
    return payload;
  } catch (error: unknown) {
    throw invalidDpopProof(failedCheck(error));
  }
}

/** Which check jose's error names: its claim names are its own (iat, exp, nbf…), never a value from the proof. */
function failedCheck(error: unknown): string {
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `its ${error.claim} claim is invalid`;
  return 'it cannot be verified with its jwk';
}
