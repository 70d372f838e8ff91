import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { OneShotHmac } from '../common/one-shot-hmac';
import { sha256Base64url, sha256Bytes } from '../common/sha256';

const VERSION = 1;
const KEY_BYTES = 32;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
const MIN_SEALED_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES;
const HKDF_SALT = Buffer.from('bff-token-vault/v1', 'utf8');
// HKDF-Expand's first (and, for a 32-byte key, only) block is T(1) = HMAC(PRK, info | 0x01): RFC 5869 §2.3.
const FIRST_BLOCK = Buffer.from([1]);

interface MasterKey {
  id: Buffer;
  idHex: string;
  secret: Buffer;
  /** Keyed with HKDF-Extract(salt, secret), RFC 5869 §2.2: the same for every context, so worked out once. */
  expand: OneShotHmac;
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

  constructor(keys: readonly Buffer[]) {
    const masterKeys = keys.map(toMasterKey);
    const [first] = masterKeys;
    if (!first) throw new Error('TokenCrypto needs at least one key');
    for (const key of masterKeys) this.addKey(key);
    this.sealingKey = first;
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
      const plaintext = decipher.update(ciphertext);
      const rest = decipher.final();
      // GCM is a stream mode: final() only checks the tag and yields nothing, so no copy is needed.
      return rest.length === 0 ? plaintext : Buffer.concat([plaintext, rest]);
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
   * HKDF-SHA256(secret, salt, info = context) as a KeyObject, in one HMAC of two one-shot digests: the same key
   * `hkdfSync` derives, at a fifth of its cost and with no native HMAC object (a session-cache miss derives one). A
   * cipher given raw key bytes imports them into a key object of its own, at twice the cost of handing it this one.
   */
  private derive(key: MasterKey, context: string): KeyObject {
    return createSecretKey(key.expand.digest(context, FIRST_BLOCK));
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
  const expand = new OneShotHmac(createHmac('sha256', HKDF_SALT).update(secret).digest());
  return { id, idHex: id.toString('hex'), secret: Buffer.from(secret), expand };
}

function additionalData(header: Buffer, aad: string | undefined): Buffer {
  return aad === undefined ? header : Buffer.concat([header, Buffer.from(aad, 'utf8')]);
}
