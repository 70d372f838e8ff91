import { createHmac, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';

export type DeviceAlgorithm = 'ES256' | 'RS256';
type Json = Record<string, unknown>;

/**
 * A browser's device key, as Chrome 145+ uses it for Device Bound Session Credentials (W3C webappsec-dbsc, "DBSC Proof
 * JWT Syntax"; Chromium net/device_bound_sessions/session_binding_utils.cc): proofs are JWTs typed `dbsc+jwt`, the
 * registration one carries the public key in its `jwk` header, refreshes carry none, and the payload is the challenge
 * as `jti` (plus `authorization` when the offer had one). Built with node:crypto alone, so the BFF's verifier (jose)
 * proves itself against an independent signer.
 */
export class DeviceKey {
  readonly publicJwk: JsonWebKey;

  private constructor(
    readonly alg: DeviceAlgorithm,
    private readonly privateKey: KeyObject,
    publicKey: KeyObject,
  ) {
    const { kty, crv, x, y, n, e } = publicKey.export({ format: 'jwk' });
    this.publicJwk = alg === 'ES256' ? { kty, crv, x, y } : { kty, n, e };
  }

  static create(alg: DeviceAlgorithm = 'ES256'): DeviceKey {
    const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return new DeviceKey(alg, pair.privateKey, pair.publicKey);
  }

  registrationProof(challenge: string, change: { header?: Json; payload?: Json } = {}): string {
    return this.sign({ alg: this.alg, typ: 'dbsc+jwt', jwk: this.publicJwk, ...change.header }, { jti: challenge, ...change.payload });
  }

  refreshProof(challenge: string, change: { header?: Json; payload?: Json } = {}): string {
    return this.sign({ alg: this.alg, typ: 'dbsc+jwt', ...change.header }, { jti: challenge, ...change.payload });
  }

  /** A JWS signed with this key whatever its header says (RS256 or ES256 by the key, as the header claims or not). */
  sign(header: Json, payload: Json): string {
    const input = `${encode(header)}.${encode(payload)}`;
    // JWS ES256 is r||s (RFC 7518 §3.4), not DER: Chrome converts, and so must we.
    const signature = this.alg === 'ES256' ? sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(input), this.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }
}

/** `alg: none`, no signature (RFC 7519 §6): what an attacker without any key could send. */
export function unsecuredProof(header: Json, payload: Json): string {
  return `${encode({ ...header, alg: 'none' })}.${encode(payload)}.`;
}

/** HS256 under a key the sender chose (and may even put in the header): a MAC proves no device key. */
export function macProof(secret: Buffer, header: Json, payload: Json): string {
  const input = `${encode({ ...header, alg: 'HS256' })}.${encode(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function encode(value: Json): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
