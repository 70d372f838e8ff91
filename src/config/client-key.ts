import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type ClientKeyType = 'RSA' | 'EC' | 'OKP';

/** The public half of the client's key as /auth/jwks serves it: public members, `kid`, `use`; `alg` is added there. */
export interface PublicClientJwk {
  kty: ClientKeyType;
  kid: string;
  use: 'sig';
  [member: string]: string;
}

/** OIDC_CLIENT_PRIVATE_KEY_FILE, read and checked once at boot. */
export interface ClientKey {
  type: ClientKeyType;
  privateKey: KeyObject;
  publicJwk: PublicClientJwk;
  /** The `alg` the file's JWK names: then the only algorithm it signs with. */
  alg?: string;
}

export type ClientKeyResult = { ok: true; key: ClientKey } | { ok: false; problem: string };

const VARIABLE = 'OIDC_CLIENT_PRIVATE_KEY_FILE';
const MIN_RSA_BITS = 2048;
/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<ClientKeyType, readonly string[]> = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };
/** Which algorithms a key of each type can sign with (the contract's RSA, EC P-256 and Ed25519). */
export const ALGORITHMS_BY_KEY_TYPE: Record<ClientKeyType, readonly string[]> = { RSA: ['RS256', 'PS256'], EC: ['ES256'], OKP: ['EdDSA', 'Ed25519'] };

/** A PEM (PKCS#8, SEC1 or PKCS#1) or JWK file holding an RSA, EC P-256 or Ed25519 private key; problems name the variable, never the content. */
export function readClientKey(path: string): ClientKeyResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    return problem(`cannot be read (${errorCode(error)})`);
  }
  const parsed = /^\s*[{[]/.test(text) ? fromJwkText(text) : fromPem(text);
  if (!parsed.ok) return parsed;
  const { privateKey, jwk } = parsed;
  const type = keyType(privateKey);
  if (!type) return problem('holds an unsupported key type: use RSA (2048 bits or more), EC P-256 or Ed25519');
  const alg = typeof jwk?.alg === 'string' ? jwk.alg : undefined;
  if (alg !== undefined && !ALGORITHMS_BY_KEY_TYPE[type].includes(alg)) return problem(`names alg ${alg.slice(0, 16)}, which its ${type} key cannot sign with (${ALGORITHMS_BY_KEY_TYPE[type].join(', ')})`);
  const publicJwk = publicJwkOf(privateKey, type, typeof jwk?.kid === 'string' && jwk.kid !== '' ? jwk.kid : undefined);
  return { ok: true, key: { type, privateKey, publicJwk, ...(alg !== undefined && { alg }) } };
}

type Parsed = { ok: true; privateKey: KeyObject; jwk?: JsonWebKey } | { ok: false; problem: string };

function fromJwkText(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return problem('is neither a PEM private key nor JSON');
  }
  const jwk = singleJwk(value);
  if (!jwk) return problem('must hold one JWK (or a JWK Set with exactly one key)');
  if (jwk.d === undefined) return problem('holds a public key only: the private key is needed to sign client assertions');
  try {
    return { ok: true, privateKey: createPrivateKey({ key: jwk, format: 'jwk' }), jwk };
  } catch {
    return problem('holds a JWK that is not a usable private key');
  }
}

function singleJwk(value: unknown): JsonWebKey | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (!('keys' in value)) return value as JsonWebKey;
  const { keys } = value;
  return Array.isArray(keys) && keys.length === 1 ? singleJwk(keys[0]) : undefined;
}

function fromPem(text: string): Parsed {
  if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text) && !/PRIVATE KEY-----/.test(text)) {
    return problem('holds a public key only: the private key is needed to sign client assertions');
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) return problem('holds a passphrase-protected key, which is not supported');
  try {
    return { ok: true, privateKey: createPrivateKey({ key: text, format: 'pem' }) };
  } catch {
    return problem('is not a PEM private key (PKCS#8, SEC1 or PKCS#1) or a JWK');
  }
}

function keyType(key: KeyObject): ClientKeyType | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return (details?.modulusLength ?? 0) >= MIN_RSA_BITS ? 'RSA' : undefined;
  if (key.asymmetricKeyType === 'ec') return details?.namedCurve === 'prime256v1' ? 'EC' : undefined;
  return key.asymmetricKeyType === 'ed25519' ? 'OKP' : undefined;
}

function publicJwkOf(privateKey: KeyObject, type: ClientKeyType, kid: string | undefined): PublicClientJwk {
  const exported = createPublicKey(privateKey).export({ format: 'jwk' });
  const members = Object.fromEntries(THUMBPRINT_MEMBERS[type].map((name) => [name, String(exported[name as keyof JsonWebKey])]));
  return { ...members, kty: type, kid: kid ?? thumbprint(members), use: 'sig' };
}

/** RFC 7638: SHA-256 of the required members, in order, without whitespace. */
function thumbprint(members: Record<string, string>): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.keys(members).sort().map((name) => [name, members[name]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

function problem(message: string): { ok: false; problem: string } {
  return { ok: false, problem: `${VARIABLE}: ${message}` };
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : 'unreadable';
}
