import type { VaultContents } from './session.types';
import { parseVaultContents, toVaultContents } from './vault-contents.parser';

/**
 * The vault's plaintext before it is sealed. Tokens are most of a session's size, and JWTs are base64url text: kept
 * as the bytes they encode, they take a quarter less room in Redis (the base64url form is rebuilt exactly on read).
 *
 * Layout: 0x02 | u32 length | JSON of everything but the tokens | access, refresh and ID token, each as
 * kind (0 absent, 1 UTF-8 text, 2 JWS of three base64url parts, 3 one base64url string) then its parts, each
 * a u32 length and bytes. Sessions written before this layout are plain JSON (first byte `{`) and still read.
 */
const COMPACT = 0x02;
const ABSENT = 0;
const TEXT = 1;
const JWS = 2;
const BASE64URL = 3;
const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

type TokenField = 'accessToken' | 'refreshToken' | 'idToken';
const TOKENS: readonly TokenField[] = ['accessToken', 'refreshToken', 'idToken'];

export function encodeVaultContents(contents: VaultContents): Buffer {
  const { accessToken, refreshToken, idToken, dpopKey, ...rest } = contents;
  // The key itself, not what it prints as (its thumbprint): sealed like the tokens.
  const json = JSON.stringify(dpopKey ? { ...rest, dpopKey: dpopKey.sealable() } : rest);
  const parts: Buffer[] = [Buffer.from([COMPACT]), lengthPrefixed(Buffer.from(json, 'utf8'))];
  for (const token of [accessToken, refreshToken, idToken]) parts.push(...encodeToken(token));
  return Buffer.concat(parts);
}

/** `undefined` when the bytes are neither layout or do not hold a valid token set (they crossed a trust boundary). */
export function decodeVaultContents(plaintext: Buffer): VaultContents | undefined {
  if (plaintext[0] !== COMPACT) return parseVaultContents(plaintext.toString('utf8'));
  const reader = new Reader(plaintext, 1);
  const json = reader.chunk()?.toString('utf8');
  if (json === undefined) return undefined;
  let rest: unknown;
  try {
    rest = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) return undefined;
  const tokens: Partial<Record<TokenField, string>> = {};
  for (const field of TOKENS) {
    const token = decodeToken(reader);
    if (token === null) return undefined;
    if (token !== undefined) tokens[field] = token;
  }
  if (!reader.done) return undefined;
  // The same field-by-field check as the JSON layout: the token set is only trusted once it parses.
  return toVaultContents({ ...rest, ...tokens });
}

function encodeToken(token: string | undefined): Buffer[] {
  if (token === undefined) return [Buffer.from([ABSENT])];
  const segments = token.split('.');
  if (segments.length === 3 && segments.every(isCanonicalBase64url)) {
    return [Buffer.from([JWS]), ...segments.map((segment) => lengthPrefixed(Buffer.from(segment, 'base64url')))];
  }
  if (isCanonicalBase64url(token)) return [Buffer.from([BASE64URL]), lengthPrefixed(Buffer.from(token, 'base64url'))];
  return [Buffer.from([TEXT]), lengthPrefixed(Buffer.from(token, 'utf8'))];
}

/** The token, `undefined` when absent, `null` when the bytes are not a token. */
function decodeToken(reader: Reader): string | undefined | null {
  switch (reader.byte() ?? -1) {
    case ABSENT:
      return undefined;
    case TEXT:
      return reader.chunk()?.toString('utf8') ?? null;
    case BASE64URL:
      return reader.chunk()?.toString('base64url') ?? null;
    case JWS: {
      const segments = [reader.chunk(), reader.chunk(), reader.chunk()];
      return segments.every((segment) => segment !== undefined) ? segments.map((segment) => segment.toString('base64url')).join('.') : null;
    }
    default:
      return null;
  }
}

/** Only text that decoding and re-encoding gives back unchanged may be stored as bytes. */
function isCanonicalBase64url(text: string): boolean {
  return BASE64URL_TEXT.test(text) && text.length % 4 !== 1 && Buffer.from(text, 'base64url').toString('base64url') === text;
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

class Reader {
  constructor(
    private readonly bytes: Buffer,
    private offset: number,
  ) {}

  get done(): boolean {
    return this.offset === this.bytes.length;
  }

  byte(): number | undefined {
    if (this.offset >= this.bytes.length) return undefined;
    const value = this.bytes[this.offset];
    this.offset += 1;
    return value;
  }

  chunk(): Buffer | undefined {
    if (this.offset + 4 > this.bytes.length) return undefined;
    const length = this.bytes.readUInt32BE(this.offset);
    const end = this.offset + 4 + length;
    if (end > this.bytes.length) return undefined;
    const chunk = this.bytes.subarray(this.offset + 4, end);
    this.offset = end;
    return chunk;
  }
}
