import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../common/jws-algorithms';
import { InvalidIdpAnswer, KeySetUnreachable } from './idp-errors';
import { isTokenKeyFailure } from './backoff-key-set';

// openid-client's own default: the ID token is checked right after the IdP issued it.
const CLOCK_TOLERANCE_SECONDS = 30;

/** What a particular ID token must also say: the login's nonce, or (on a refresh) the session's issuer and subject. */
export interface IdTokenExpectations {
  nonce?: string;
  /** OIDC Core 12.2: a refreshed ID token names the same iss and sub, and the original nonce if it has one. */
  original?: { issuer: string; subject: string; nonce?: string };
}

/**
 * OIDC Core 3.1.3.7 in full, signature included: openid-client checks the claims but verifies the signature only
 * when told to, and the ID token is what the session's identity, back-channel `sid` matching and `token: id` trust.
 */
export class IdTokenVerifier {
  constructor(
    private readonly keys: () => Promise<JWTVerifyGetKey>,
    private readonly clientId: string,
  ) {}

  async verify(idToken: string, issuer: string, expected: IdTokenExpectations): Promise<JWTPayload> {
    const payload = await this.verifySignatureAndClaims(idToken, issuer);
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (payload.azp !== undefined ? payload.azp !== this.clientId : audiences.length > 1) throw new InvalidIdpAnswer('id_token_azp');
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidIdpAnswer('id_token_sub');
    if (expected.nonce !== undefined && payload['nonce'] !== expected.nonce) throw new InvalidIdpAnswer('id_token_nonce');
    const original = expected.original;
    if (original) {
      if (payload.iss !== original.issuer) throw new InvalidIdpAnswer('id_token_issuer_changed');
      if (payload.sub !== original.subject) throw new InvalidIdpAnswer('id_token_subject_changed');
      if (payload['nonce'] !== undefined && payload['nonce'] !== original.nonce) throw new InvalidIdpAnswer('id_token_nonce');
    }
    return payload;
  }

  private async verifySignatureAndClaims(idToken: string, issuer: string): Promise<JWTPayload> {
    const keys = await this.keys();
    try {
      const { payload } = await jwtVerify(idToken, keysOrUnreachable(keys), {
        issuer,
        audience: this.clientId,
        algorithms: ASYMMETRIC_JWS_ALGORITHMS,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return payload;
    } catch (error: unknown) {
      if (error instanceof KeySetUnreachable) throw error;
      throw new InvalidIdpAnswer(idTokenFailureCode(error), error);
    }
  }
}

function keysOrUnreachable(keys: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error: unknown) {
      if (isTokenKeyFailure(error)) throw error;
      throw new KeySetUnreachable(error);
    }
  };
}

function idTokenFailureCode(error: unknown): string {
  if (error instanceof errors.JWTClaimValidationFailed) return `id_token_${error.claim}`;
  if (error instanceof errors.JWTExpired) return 'id_token_exp';
  if (error instanceof errors.JWKSNoMatchingKey) return 'id_token_unknown_key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'id_token_signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'id_token_alg';
  return 'id_token_malformed';
}
