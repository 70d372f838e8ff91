import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const ALG = 'RS256';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** Private JWK: oidc-provider wants the private half to sign ID tokens, access tokens and logout tokens. */
  readonly privateJwk: JWK;
}

export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, privateJwk: { ...jwk, kid, alg: ALG, use: 'sig' } };
}

export interface LogoutTokenOptions {
  audience?: string;
  expiresInSeconds?: number;
  /** `stranger` signs with a fresh key that is not in the IdP's JWKS, for negative tests. */
  signedBy?: 'idp' | 'stranger';
}

/** Claims set to `undefined` are removed, so a test can drop a required one such as `events`. */
export type LogoutTokenClaims = Record<string, unknown>;

export async function signLogoutToken(
  key: SigningKey,
  issuer: string,
  defaultAudience: string,
  claims: LogoutTokenClaims,
  options: LogoutTokenOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const merged: Record<string, unknown> = {
    iss: issuer,
    aud: options.audience ?? defaultAudience,
    iat: now,
    exp: now + (options.expiresInSeconds ?? 120),
    jti: randomUUID(),
    events: { [LOGOUT_EVENT]: {} },
    ...claims,
  };
  const payload = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
  const signer = options.signedBy === 'stranger' ? await generateSigningKey() : key;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: ALG, kid: signer.kid, typ: 'logout+jwt' })
    .sign(signer.privateKey);
}
