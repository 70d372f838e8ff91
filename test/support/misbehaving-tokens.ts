import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** One thing an OpenID Provider can get wrong in an ID token (the OpenID Foundation's RP tests, one fault each). */
export type IdTokenFault =
  | 'bad_signature'
  | 'wrong_iss'
  | 'wrong_aud'
  | 'wrong_nonce'
  | 'no_iat'
  | 'no_sub'
  | 'alg_none'
  | 'unpublished_key'
  | 'other_subject';

/** What can be wrong with the token endpoint's answer as a whole. */
export type AnswerFault = 'token_type_dpop' | 'no_access_token' | 'empty_400' | 'empty_403';

export type Fault = IdTokenFault | AnswerFault;

export interface SigningKeyPair {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function newSigningKey(): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomBytes(6).toString('hex');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface IdTokenInput {
  issuer: string;
  clientId: string;
  subject: string;
  nonce?: string;
  claims: Record<string, unknown>;
}

/** Signs an ID token, then breaks it the one way `fault` says (or not at all). */
export async function signIdToken(input: IdTokenInput, key: SigningKeyPair, fault: Fault | undefined): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    iss: fault === 'wrong_iss' ? 'https://impostor.example.test' : input.issuer,
    sub: fault === 'other_subject' ? 'user-mallory' : input.subject,
    aud: fault === 'wrong_aud' ? 'another-client' : input.clientId,
    exp: now + 300,
    iat: now,
    auth_time: now,
    ...input.claims,
  };
  if (input.nonce !== undefined) payload['nonce'] = fault === 'wrong_nonce' ? 'not-the-nonce-sent' : input.nonce;
  if (fault === 'no_iat') delete payload.iat;
  if (fault === 'no_sub') delete payload.sub;
  if (fault === 'alg_none') return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
  if (fault === 'unpublished_key') {
    const stranger = await newSigningKey();
    return sign(payload, stranger);
  }
  const jwt = await sign(payload, key);
  return fault === 'bad_signature' ? corruptSignature(jwt) : jwt;
}

export function opaqueToken(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

function sign(payload: JWTPayload, key: SigningKeyPair): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

function corruptSignature(jwt: string): string {
  const [header, payload, signature = ''] = jwt.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
