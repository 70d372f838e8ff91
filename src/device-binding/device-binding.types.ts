/** The algorithms a browser may choose for its device key (W3C webappsec-dbsc, "Secure-Session-Registration"). */
export const DEVICE_KEY_ALGORITHMS = ['ES256', 'RS256'] as const;
export type DeviceKeyAlgorithm = (typeof DEVICE_KEY_ALGORITHMS)[number];

/** The public half of a device key (RFC 7517), its public members only. */
export type DevicePublicJwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string } | { kty: 'RSA'; n: string; e: string };

/** A session's binding to a browser's device key, sealed in the vault with the tokens. */
export interface DeviceBinding {
  /** The DBSC session identifier the browser names on refresh (`Sec-Secure-Session-Id`): random, not a secret. */
  id: string;
  alg: DeviceKeyAlgorithm;
  jwk: DevicePublicJwk;
  /** Epoch ms of the registration. */
  boundAt: number;
}

const BINDING_ID = /^[A-Za-z0-9_-]{16,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * A binding read back from the vault (it crossed a trust boundary): the binding, `undefined` when the session has
 * none (sessions stored before device binding included), `null` when the value is not a binding.
 */
export function deviceBindingFrom(value: unknown): DeviceBinding | undefined | null {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return null;
  const { id, alg, jwk, boundAt } = value;
  if (typeof id !== 'string' || !BINDING_ID.test(id) || typeof boundAt !== 'number') return null;
  if (alg !== 'ES256' && alg !== 'RS256') return null;
  const key = publicJwkFor(alg, jwk);
  return key ? { id, alg, jwk: key, boundAt } : null;
}

/** The public JWK an algorithm can verify with, its public members only; `undefined` for anything else. */
export function publicJwkFor(alg: DeviceKeyAlgorithm, jwk: unknown): DevicePublicJwk | undefined {
  if (!isRecord(jwk) || 'd' in jwk) return undefined;
  if (alg === 'ES256') {
    const { kty, crv, x, y } = jwk;
    return kty === 'EC' && crv === 'P-256' && isBase64url(x) && isBase64url(y) ? { kty, crv, x, y } : undefined;
  }
  const { kty, n, e } = jwk;
  return kty === 'RSA' && isBase64url(n) && isBase64url(e) ? { kty, n, e } : undefined;
}

function isBase64url(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 1024 && BASE64URL.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
