import type { KeyObject, webcrypto } from 'node:crypto';
import { ALGORITHMS_BY_KEY_TYPE, type ClientKey } from '../config/client-key';

/** What a key type signs with when the IdP's discovery lists no algorithms (RFC 8414 makes the list optional). */
const DEFAULT_ALGORITHM = { RSA: 'RS256', EC: 'ES256', OKP: 'EdDSA' } as const;

/**
 * The private_key_jwt algorithm: the first the IdP lists in `token_endpoint_auth_signing_alg_values_supported` that the
 * key can sign with (only the file's own `alg` when its JWK names one); undefined when it lists some and none fits.
 */
export function assertionAlgorithm(key: Pick<ClientKey, 'type' | 'alg'>, listed: readonly string[] | undefined): string | undefined {
  const fitting = key.alg === undefined ? ALGORITHMS_BY_KEY_TYPE[key.type] : [key.alg];
  if (listed === undefined || listed.length === 0) return key.alg ?? DEFAULT_ALGORITHM[key.type];
  return listed.find((alg) => fitting.includes(alg));
}

/** The Web Crypto view of the key for one JWS algorithm (the algorithm openid-client then puts in the header). */
export function signingKeyFor(privateKey: KeyObject, alg: string): webcrypto.CryptoKey {
  return privateKey.toCryptoKey(webCryptoAlgorithm(alg), false, ['sign']);
}

function webCryptoAlgorithm(alg: string): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm {
  switch (alg) {
    case 'RS256':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case 'PS256':
      return { name: 'RSA-PSS', hash: 'SHA-256' };
    case 'ES256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'EdDSA':
    case 'Ed25519':
      return { name: 'Ed25519' };
    default:
      throw new Error(`no signing key for ${alg}`);
  }
}
