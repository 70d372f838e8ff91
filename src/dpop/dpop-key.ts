import { createHash, createPrivateKey, createPublicKey, KeyObject, type JsonWebKey, type webcrypto } from 'node:crypto';
import { inspect } from 'node:util';
import { randomDPoPKeyPair } from 'openid-client';

/** A P-256 key's public members, in the order RFC 7638 §3.2 hashes them. */
export interface PublicEcJwk {
  crv: 'P-256';
  kty: 'EC';
  x: string;
  y: string;
}

/** The private JWK the vault seals: never logged, never sent anywhere. */
export interface SealedDpopKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
// A P-256 coordinate or private scalar: 32 bytes, 43 base64url characters.
const P256_PART = /^[A-Za-z0-9_-]{43}$/;

/**
 * The ES256 key a session's (or a client-credentials grant's) tokens are bound to (RFC 9449). Built once per read of
 * the vault: a session served from the per-instance cache signs with the KeyObject it already holds. Serialises and
 * prints as its thumbprint only; `sealable()` is the vault's alone.
 */
export class DpopKey {
  /** The proof header's `jwk`. */
  readonly publicJwk: Readonly<PublicEcJwk>;
  /** RFC 7638 thumbprint: the `cnf.jkt` of the tokens bound to this key. */
  readonly thumbprint: string;
  private keyPair: Promise<webcrypto.CryptoKeyPair> | undefined;

  private constructor(readonly privateKey: KeyObject) {
    const { x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
    this.publicJwk = Object.freeze({ crv: 'P-256', kty: 'EC', x: String(x), y: String(y) });
    this.thumbprint = createHash('sha256').update(JSON.stringify(this.publicJwk)).digest('base64url');
  }

  /** A new key pair, made by openid-client as its DPoP handles expect. */
  static async generate(): Promise<DpopKey> {
    const { privateKey } = await randomDPoPKeyPair('ES256', { extractable: true });
    return new DpopKey(KeyObject.from(privateKey));
  }

  /** The key as sealed in the vault; `undefined` when absent, `null` when it is not a P-256 private key. */
  static fromSealed(value: unknown): DpopKey | undefined | null {
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null) return null;
    const { kty, crv, x, y, d } = value as Partial<Record<keyof SealedDpopKey, unknown>>;
    if (kty !== 'EC' || crv !== 'P-256' || ![x, y, d].every((part) => typeof part === 'string' && P256_PART.test(part))) return null;
    try {
      return new DpopKey(createPrivateKey({ key: { kty, crv, x, y, d } as JsonWebKey, format: 'jwk' }));
    } catch {
      return null;
    }
  }

  /** What the vault seals. */
  sealable(): SealedDpopKey {
    const { x, y, d } = this.privateKey.export({ format: 'jwk' });
    return { kty: 'EC', crv: 'P-256', x: String(x), y: String(y), d: String(d) };
  }

  /** WebCrypto keys for openid-client's DPoP handle (IdP calls only, not the hot path): made once per key. */
  cryptoKeyPair(): Promise<webcrypto.CryptoKeyPair> {
    this.keyPair ??= Promise.resolve({
      privateKey: this.privateKey.toCryptoKey(ECDSA_P256, false, ['sign']),
      publicKey: createPublicKey(this.privateKey).toCryptoKey(ECDSA_P256, true, ['verify']),
    });
    return this.keyPair;
  }

  toJSON(): { jkt: string } {
    return { jkt: this.thumbprint };
  }

  [inspect.custom](): string {
    return `DpopKey { jkt: ${this.thumbprint} }`;
  }
}
