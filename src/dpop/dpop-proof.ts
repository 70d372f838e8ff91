import { randomBytes } from 'node:crypto';
import { CompactSign, type CompactJWSHeaderParameters } from 'jose';
import { sha256Base64url } from '../common/sha256';
import type { DpopKey } from './dpop-key';

/** What one proof is about (RFC 9449 §4.2). */
export interface ProofTarget {
  /** The request's method, upper case. */
  htm: string;
  /** The request's URL; its query and fragment are left out of `htu`. */
  url: string;
  /** The access token sent with the request: its hash becomes `ath`. */
  accessToken?: string;
  /** The server's last `DPoP-Nonce`. */
  nonce?: string;
}

const headers = new WeakMap<DpopKey, CompactJWSHeaderParameters>();
const encoder = new TextEncoder();

/**
 * A fresh DPoP proof (RFC 9449 §4.2) signed with `key`: `typ` dpop+jwt, ES256, the public `jwk`; `jti` unique, `iat`
 * now, `htm`, `htu`, and `ath` when a token goes along. The header is built once per key; jose signs with the key's
 * cached CryptoKey, so a proof costs one ECDSA signature.
 */
export function dpopProof(key: DpopKey, target: ProofTarget, now = Date.now()): Promise<string> {
  const payload: Record<string, string | number> = {
    jti: randomBytes(16).toString('base64url'),
    iat: Math.floor(now / 1000),
    htm: target.htm,
    htu: htuOf(target.url),
  };
  if (target.accessToken !== undefined) payload['ath'] = sha256Base64url(target.accessToken);
  if (target.nonce !== undefined) payload['nonce'] = target.nonce;
  return new CompactSign(encoder.encode(JSON.stringify(payload))).setProtectedHeader(headerOf(key)).sign(key.privateKey);
}

/** RFC 9449 §4.2: the target URI without query and fragment. */
export function htuOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function headerOf(key: DpopKey): CompactJWSHeaderParameters {
  let header = headers.get(key);
  if (!header) {
    header = { alg: 'ES256', typ: 'dpop+jwt', jwk: { ...key.publicJwk } };
    headers.set(key, header);
  }
  return header;
}
