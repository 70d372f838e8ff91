import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { sha256Base64url, sha256Bytes } from '../common/sha256';

const VERSION = 1;
const KEY_BYTES = 32;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
const MIN_SEALED_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES;
const HKDF_SALT = Buffer.from('bff-token-vault/v1', 'utf8');
const DEFAULT_CACHE_SIZE = 10_000;

interface MasterKey {
  id: Buffer;
  /** Hex of `id`, the prefix of this key's derived-key cache entries. */
  idHex: string;
  secret: Buffer;
}

/**
 * AES-256-GCM under a key derived (HKDF-SHA256) from a master key and a context such as the session id, so neither
 * a Redis dump nor the master keys alone open a token set. The first key seals; every key opens (rotation).
 *
 * Sealed layout: version (1) | key id (4) | IV (12) | ciphertext | tag (16). Version and key id are authenticated.
 */
export class TokenCrypto {
  private readonly sealingKey: MasterKey;
  private readonly keysById = new Map<string, MasterKey>();
  private readonly derivedKeys: DerivedKeyCache;

  constructor(keys: readonly Buffer[], derivedKeyCacheSize = DEFAULT_CACHE_SIZE) {
    const masterKeys = keys.map(toMasterKey);
    const [first] = masterKeys;
    if (!first) throw new Error('TokenCrypto needs at least one key');
    for (const key of masterKeys) this.addKey(key);
    this.sealingKey = first;
    this.derivedKeys = new DerivedKeyCache(derivedKeyCacheSize);
  }

  encrypt(plaintext: Buffer | string, context: string, aad?: string): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(VERSION, 0);
    this.sealingKey.id.copy(header, 1);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.derive(this.sealingKey, context), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(header, aad));
    const body = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ciphertext = Buffer.concat([cipher.update(body), cipher.final()]);
    return Buffer.concat([header, iv, ciphertext, cipher.getAuthTag()]);
  }

  /** `undefined` when nothing opens it: a removed key, a wrong context or AAD, tampering, or not our format. */
  decrypt(sealed: Buffer, context: string, aad?: string): Buffer | undefined {
    if (sealed.length < MIN_SEALED_BYTES || sealed.readUInt8(0) !== VERSION) return undefined;
    const key = this.keysById.get(sealed.toString('hex', 1, HEADER_BYTES));
    if (!key) return undefined;
    const header = sealed.subarray(0, HEADER_BYTES);
    const iv = sealed.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
    const ciphertext = sealed.subarray(HEADER_BYTES + IV_BYTES, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.derive(key, context), iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(header, aad));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      // The only failure here is GCM's tag check ("unable to authenticate data"): wrong key, context, AAD or bytes.
      return undefined;
    }
  }

  private addKey(key: MasterKey): void {
    const existing = this.keysById.get(key.idHex);
    if (existing && !timingSafeEqual(existing.secret, key.secret)) {
      throw new Error('two TOKEN_ENCRYPTION_KEYS share a key id; generate a new key');
    }
    this.keysById.set(key.idHex, existing ?? key);
  }

  /**
   * The derived key as a KeyObject: a cipher built from a KeyObject skips re-importing raw key bytes, which costs
   * several times the AES work itself on the small token sets sealed here.
   */
  private derive(key: MasterKey, context: string): KeyObject {
    // Cached by a digest of key id and context: the session id itself never becomes a long-lived map key.
    const cacheKey = sha256Base64url(`${key.idHex}\0${context}`);
    const cached = this.derivedKeys.get(cacheKey);
    if (cached) return cached;
    const derived = createSecretKey(Buffer.from(hkdfSync('sha256', key.secret, HKDF_SALT, Buffer.from(context, 'utf8'), KEY_BYTES)));
    this.derivedKeys.set(cacheKey, derived);
    return derived;
  }
}

/** The Redis key part for a session: a digest, so a Redis dump holds no usable session id. */
export function hashSessionId(sessionId: string): string {
  return sha256Base64url(sessionId);
}

/** 256 random bits, base64url (43 characters, cookie-safe without quoting). */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

function toMasterKey(secret: Buffer): MasterKey {
  if (secret.length !== KEY_BYTES) throw new Error(`every token encryption key must be ${KEY_BYTES} bytes`);
  const id = sha256Bytes(Buffer.concat([Buffer.from('bff-token-vault key id\0'), secret])).subarray(0, KEY_ID_BYTES);
  return { id, idHex: id.toString('hex'), secret: Buffer.from(secret) };
}

function additionalData(header: Buffer, aad: string | undefined): Buffer {
  return aad === undefined ? header : Buffer.concat([header, Buffer.from(aad, 'utf8')]);
}

/** A bounded least-recently-used map: Map keeps insertion order, so re-inserting on a hit moves an entry to the back. */
class DerivedKeyCache {
  private readonly entries = new Map<string, KeyObject>();

  constructor(private readonly maxEntries: number) {}

  get(key: string): KeyObject | undefined {
    const value = this.entries.get(key);
    if (value) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: KeyObject): void {
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
