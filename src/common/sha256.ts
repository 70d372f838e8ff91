import { hash } from 'node:crypto';

/**
 * SHA-256, the one digest the BFF uses to name things by a value that must not appear itself (a token, a state, a
 * client address) and to compare secrets in constant time.
 */
export function sha256Base64url(value: string | Buffer): string {
  return hash('sha256', value, 'base64url');
}

export function sha256Hex(value: string | Buffer): string {
  return hash('sha256', value, 'hex');
}

export function sha256Bytes(value: string | Buffer): Buffer {
  return hash('sha256', value, 'buffer');
}
