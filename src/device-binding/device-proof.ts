import { decodeProtectedHeader, importJWK, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import { publicJwkFor, type DeviceBinding, type DeviceKeyAlgorithm, type DevicePublicJwk } from './device-binding.types';

/** What a valid registration proof establishes: the challenge it answers, signed by the key it carries. */
export interface RegistrationProof {
  challenge: string;
  alg: DeviceKeyAlgorithm;
  jwk: DevicePublicJwk;
}

const PROOF_TYPE = 'dbsc+jwt';
const CHALLENGE = /^[\x21-\x7e]{1,256}$/;

/**
 * A registration's `Secure-Session-Response`: a JWT typed `dbsc+jwt`, signed (ES256 or RS256, never `none` or a MAC)
 * by the public key in its own `jwk` header, whose `jti` is the challenge. The key moved from the payload to this
 * header in 2025 and Chrome sends it there; that is the only place it is read. `undefined` when anything is off.
 */
export async function verifyRegistrationProof(jwt: string): Promise<RegistrationProof | undefined> {
  const header = protectedHeaderOf(jwt);
  const alg = header && algorithmOf(header);
  const jwk = alg && publicJwkFor(alg, header.jwk);
  if (!alg || !jwk) return undefined;
  const challenge = await verifiedChallenge(jwt, alg, jwk);
  return challenge === undefined ? undefined : { challenge, alg, jwk };
}

/**
 * A refresh's proof: signed by the session's registered key with its algorithm. Whatever key the JWT itself names is
 * ignored (the draft forbids one there, and only the registered key counts). Returns the challenge it answers.
 */
export async function verifyRefreshProof(jwt: string, binding: DeviceBinding): Promise<string | undefined> {
  const header = protectedHeaderOf(jwt);
  if (!header || algorithmOf(header) !== binding.alg) return undefined;
  return verifiedChallenge(jwt, binding.alg, binding.jwk);
}

async function verifiedChallenge(jwt: string, alg: DeviceKeyAlgorithm, jwk: DevicePublicJwk): Promise<string | undefined> {
  try {
    const key = await importJWK(jwk, alg);
    const { payload } = await jwtVerify(jwt, key, { algorithms: [alg], typ: PROOF_TYPE });
    const { jti } = payload;
    return typeof jti === 'string' && CHALLENGE.test(jti) ? jti : undefined;
  } catch {
    // A bad signature, a key of the wrong size, an `exp` in the past: every failure is simply "no proof".
    return undefined;
  }
}

function protectedHeaderOf(jwt: string): ProtectedHeaderParameters | undefined {
  try {
    return decodeProtectedHeader(jwt);
  } catch {
    return undefined;
  }
}

/** Only the asymmetric algorithms the registration offer lists: `none`, HS256 and the rest are refused up front. */
function algorithmOf(header: ProtectedHeaderParameters): DeviceKeyAlgorithm | undefined {
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== PROOF_TYPE) return undefined;
  return header.alg === 'ES256' || header.alg === 'RS256' ? header.alg : undefined;
}
