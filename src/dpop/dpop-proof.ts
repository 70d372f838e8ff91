import { randomUUID, sign } from 'node:crypto';
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

/** Each key's protected header, encoded once (the key object lives as long as the session read that holds it). */
const headers = new WeakMap<DpopKey, string>();

/**
 * A fresh DPoP proof (RFC 9449 §4.2) signed with `key`: `typ` dpop+jwt, ES256, the public `jwk`; `jti` unique, `iat`
 * now, `htm`, `htu`, and `ath` when a token goes along. A compact JWS (RFC 7515 §7.1) signed with node:crypto and the
 * key's cached KeyObject, synchronously: jose 6 signs through WebCrypto, which took twice the CPU per proof here (a
 * job on the thread pool and a promise for every proxied call; see the README's benchmark of scenario d).
 */
export function dpopProof(key: DpopKey, target: ProofTarget, now = Date.now()): string {
  const payload: Record<string, string | number> = {
    // 122 random bits, from Node's pooled entropy (a randomBytes call per proof showed in the profile).
    jti: randomUUID(),
    iat: Math.floor(now / 1000),
    htm: target.htm,
    htu: htuOf(target.url),
  };
  if (target.accessToken !== undefined) payload['ath'] = sha256Base64url(target.accessToken);
  if (target.nonce !== undefined) payload['nonce'] = target.nonce;
  const signingInput = `${headerOf(key)}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
  // The KeyObject alone: with an options object ({ key, dsaEncoding }) Node prepares the key again, twice the time.
  const signature = rawSignature(sign('sha256', Buffer.from(signingInput, 'latin1'), key.privateKey));
  return `${signingInput}.${signature.toString('base64url')}`;
}

/**
 * RFC 7518 §3.4: an ES256 JWS signature is R || S, 32 bytes each, where OpenSSL gives DER (SEQUENCE of two INTEGERs,
 * each without leading zero bytes but for a sign byte). P-256's DER is always shorter than 128 bytes: one length byte.
 */
export function rawSignature(der: Buffer): Buffer {
  const raw = Buffer.alloc(64);
  let offset = 2;
  for (const half of [0, 32]) {
    const length = der[offset + 1] ?? 0;
    let start = offset + 2;
    let size = length;
    while (size > 32) {
      start += 1;
      size -= 1;
    }
    der.copy(raw, half + 32 - size, start, start + size);
    offset += 2 + length;
  }
  return raw;
}

/** RFC 9449 §4.2: the target URI without query and fragment. */
export function htuOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function headerOf(key: DpopKey): string {
  let header = headers.get(key);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk }), 'utf8').toString('base64url');
    headers.set(key, header);
  }
  return header;
}
