import { hash } from 'node:crypto';

const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;

/**
 * HMAC-SHA256 under one fixed key (RFC 2104) from two one-shot digests: `createHmac` builds a native object per call,
 * which costs about as much again in garbage collection as the digest itself on a path taken once per request.
 */
export class OneShotHmac {
  private readonly innerPad: Buffer;
  private readonly outer: Buffer;

  /** `key` at most one SHA-256 block (64 bytes), as every key here is. */
  constructor(key: Buffer) {
    if (key.length > BLOCK_BYTES) throw new Error('OneShotHmac takes keys of at most 64 bytes');
    this.innerPad = Buffer.alloc(BLOCK_BYTES, 0x36);
    this.outer = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES);
    this.outer.fill(0x5c, 0, BLOCK_BYTES);
    for (let index = 0; index < key.length; index += 1) {
      this.innerPad[index] ^= key[index] ?? 0;
      this.outer[index] ^= key[index] ?? 0;
    }
  }

  /** HMAC(key, message as UTF-8 | suffix). */
  digest(message: string, suffix: Buffer): Buffer {
    const length = Buffer.byteLength(message, 'utf8');
    const inner = Buffer.allocUnsafe(BLOCK_BYTES + length + suffix.length);
    this.innerPad.copy(inner, 0);
    inner.write(message, BLOCK_BYTES, 'utf8');
    suffix.copy(inner, BLOCK_BYTES + length);
    // Synchronous from here to the return: the shared outer block is never seen half-written.
    hash('sha256', inner, 'buffer').copy(this.outer, BLOCK_BYTES);
    return hash('sha256', this.outer, 'buffer');
  }
}
