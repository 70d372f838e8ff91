import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** A DPoP client's key pair (RFC 9449 §4): the private half signs proofs, the public half rides in their header. */
export interface DpopHolder {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  /** RFC 7638 thumbprint: what a token bound to this key carries as `cnf.jkt`. */
  thumbprint: string;
}

export async function newDpopHolder(alg = 'ES256'): Promise<DpopHolder> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, privateJwk: await exportJWK(privateKey), thumbprint: await calculateJwkThumbprint(publicJwk) };
}

/** A proof before it is signed: what a mutation changes. `signer` is who signs it: the holder, another key, or nobody. */
export interface ProofDraft {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signer: 'holder' | 'none' | { secret: Uint8Array } | DpopHolder;
}

export interface ProofTarget {
  method: string;
  /** The absolute URL the request goes to (its query is left out of `htu`). */
  url: string;
  /** The token the proof goes with (`ath`); none for a proof to the token endpoint. */
  accessToken?: string;
  /** Epoch seconds; now by default. */
  iat?: number;
  /** A `DPoP-Nonce` the server asked for (RFC 9449 §8). */
  nonce?: string;
}

export const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** The proof an honest client sends for this request. */
export function draftProof(holder: DpopHolder, target: ProofTarget): ProofDraft {
  const url = new URL(target.url);
  return {
    header: { typ: 'dpop+jwt', alg: holder.alg, jwk: holder.publicJwk },
    payload: {
      htm: target.method,
      htu: `${url.origin}${url.pathname}`,
      iat: target.iat ?? Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      ...(target.accessToken === undefined ? {} : { ath: ath(target.accessToken) }),
      ...(target.nonce === undefined ? {} : { nonce: target.nonce }),
    },
    signer: 'holder',
  };
}

export async function signProof(holder: DpopHolder, draft: ProofDraft): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(draft.payload));
  const { signer } = draft;
  if (signer === 'none') return `${b64(draft.header)}.${Buffer.from(payload).toString('base64url')}.`;
  const key = signer === 'holder' ? holder.privateKey : 'secret' in signer ? signer.secret : signer.privateKey;
  return new CompactSign(payload).setProtectedHeader(draft.header as { alg: string }).sign(key);
}

export async function proofFor(holder: DpopHolder, target: ProofTarget): Promise<string> {
  return signProof(holder, draftProof(holder, target));
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** What a verifier must answer to a mutated proof: the WWW-Authenticate error. */
export type ExpectedDpopError = 'invalid_dpop_proof' | 'invalid_token';

export interface ProofMutation {
  name: string;
  mutate(draft: ProofDraft, context: { holder: DpopHolder; other: DpopHolder }): ProofDraft;
  error: ExpectedDpopError;
}

const payloadWith = (changes: Record<string, unknown>) => (draft: ProofDraft): ProofDraft => ({ ...draft, payload: { ...draft.payload, ...changes } });
const headerWith = (changes: Record<string, unknown>) => (draft: ProofDraft): ProofDraft => ({ ...draft, header: { ...draft.header, ...changes } });
const htuWith = (change: (url: URL, htu: string) => string) => (draft: ProofDraft): ProofDraft => {
  const htu = String(draft.payload['htu']);
  return payloadWith({ htu: change(new URL(htu), htu) })(draft);
};
const otherPort = (url: URL): string => (url.port === '' || url.port === '443' || url.port === '80' ? '8443' : String(Number(url.port) + 1));
const without = (name: string) => (draft: ProofDraft): ProofDraft => {
  const payload = { ...draft.payload };
  delete payload[name];
  return { ...draft, payload };
};

/**
 * Every field of a valid proof changed on its own (RFC 9449 §4.3): each must be refused. Run against the verifier
 * (unit) and against the BFF over HTTP (e2e); the unmutated draft is the control that must pass.
 */
export const PROOF_MUTATIONS: readonly ProofMutation[] = [
  { name: 'htm of another method', mutate: (draft) => payloadWith({ htm: draft.payload['htm'] === 'POST' ? 'GET' : 'POST' })(draft), error: 'invalid_dpop_proof' },
  { name: 'htm in lower case', mutate: (draft) => payloadWith({ htm: String(draft.payload['htm']).toLowerCase() })(draft), error: 'invalid_dpop_proof' },
  { name: 'htm missing', mutate: without('htm'), error: 'invalid_dpop_proof' },
  { name: 'htu path in other case', mutate: htuWith((url) => `${url.origin}${url.pathname.toUpperCase()}`), error: 'invalid_dpop_proof' },
  { name: 'htu on another port', mutate: htuWith((url) => `${url.protocol}//${url.hostname}:${otherPort(url)}${url.pathname}`), error: 'invalid_dpop_proof' },
  { name: 'htu with a trailing slash', mutate: htuWith((_url, htu) => `${htu}/`), error: 'invalid_dpop_proof' },
  { name: 'htu with a query', mutate: htuWith((_url, htu) => `${htu}?a=1`), error: 'invalid_dpop_proof' },
  { name: 'htu with a fragment', mutate: htuWith((_url, htu) => `${htu}#f`), error: 'invalid_dpop_proof' },
  // What a URL parser drops or rereads in the authority: `\` is `/` to WHATWG (another path), `\@` userinfo to others.
  { name: 'htu with a backslash after its host', mutate: htuWith((url) => `${url.protocol}//${url.host}\\evil${url.pathname}`), error: 'invalid_dpop_proof' },
  { name: 'htu with a backslash and @ after its host', mutate: htuWith((url) => `${url.protocol}//${url.host}\\@evil.example${url.pathname}`), error: 'invalid_dpop_proof' },
  { name: 'htu with a tab in its host', mutate: htuWith((url) => `${url.protocol}//${url.host.slice(0, 1)}\t${url.host.slice(1)}${url.pathname}`), error: 'invalid_dpop_proof' },
  // The path exactly as the request carried it: what a router would normalise away still names another URI.
  { name: 'htu path with a dot segment', mutate: htuWith((url) => `${url.origin}/x/..${url.pathname}`), error: 'invalid_dpop_proof' },
  { name: 'htu path with a double slash', mutate: htuWith((url) => `${url.origin}/${url.pathname}`), error: 'invalid_dpop_proof' },
  { name: 'htu path with a ;parameter', mutate: htuWith((_url, htu) => `${htu};a=1`), error: 'invalid_dpop_proof' },
  { name: 'htu path percent-encoded', mutate: htuWith((url) => `${url.origin}${url.pathname.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`)}`), error: 'invalid_dpop_proof' },
  { name: 'htu on another host', mutate: htuWith((url) => `${url.protocol}//evil.example${url.pathname}`), error: 'invalid_dpop_proof' },
  { name: 'htu in another scheme', mutate: htuWith((url) => `${url.protocol === 'https:' ? 'http' : 'https'}://${url.host}${url.pathname}`), error: 'invalid_dpop_proof' },
  { name: 'htu missing', mutate: without('htu'), error: 'invalid_dpop_proof' },
  { name: 'iat 61 s ago', mutate: (draft) => payloadWith({ iat: Number(draft.payload['iat']) - 61 })(draft), error: 'invalid_dpop_proof' },
  { name: 'iat 61 s ahead', mutate: (draft) => payloadWith({ iat: Number(draft.payload['iat']) + 61 })(draft), error: 'invalid_dpop_proof' },
  { name: 'iat in milliseconds', mutate: (draft) => payloadWith({ iat: Number(draft.payload['iat']) * 1000 })(draft), error: 'invalid_dpop_proof' },
  { name: 'iat missing', mutate: without('iat'), error: 'invalid_dpop_proof' },
  { name: 'iat as a string', mutate: (draft) => payloadWith({ iat: String(draft.payload['iat']) })(draft), error: 'invalid_dpop_proof' },
  { name: 'jti missing', mutate: without('jti'), error: 'invalid_dpop_proof' },
  { name: 'jti empty', mutate: payloadWith({ jti: '' }), error: 'invalid_dpop_proof' },
  { name: 'ath of another token', mutate: payloadWith({ ath: ath('another-token') }), error: 'invalid_dpop_proof' },
  { name: 'ath missing', mutate: without('ath'), error: 'invalid_dpop_proof' },
  { name: 'jwk with its private member', mutate: (draft, { holder }) => headerWith({ jwk: holder.privateJwk })(draft), error: 'invalid_dpop_proof' },
  { name: 'jwk missing', mutate: headerWith({ jwk: undefined }), error: 'invalid_dpop_proof' },
  { name: 'jwk meant for encryption', mutate: (draft, { holder }) => headerWith({ jwk: { ...holder.publicJwk, use: 'enc' } })(draft), error: 'invalid_dpop_proof' },
  { name: 'jwk naming another alg', mutate: (draft, { holder }) => headerWith({ jwk: { ...holder.publicJwk, alg: 'ES512' } })(draft), error: 'invalid_dpop_proof' },
  { name: 'jwk with a kty naming an Object member', mutate: (draft, { holder }) => headerWith({ jwk: { ...holder.publicJwk, kty: 'constructor' } })(draft), error: 'invalid_dpop_proof' },
  { name: 'jwk of another key than the signature', mutate: (draft, { other }) => headerWith({ jwk: other.publicJwk })(draft), error: 'invalid_dpop_proof' },
  { name: 'alg none, unsigned', mutate: (draft) => ({ ...headerWith({ alg: 'none' })(draft), signer: 'none' }), error: 'invalid_dpop_proof' },
  {
    name: 'alg HS256, keyed with the public key',
    mutate: (draft, { holder }) => ({ ...headerWith({ alg: 'HS256' })(draft), signer: { secret: new TextEncoder().encode(JSON.stringify(holder.publicJwk)) } }),
    error: 'invalid_dpop_proof',
  },
  { name: 'typ jwt', mutate: headerWith({ typ: 'jwt' }), error: 'invalid_dpop_proof' },
  { name: 'typ at+jwt', mutate: headerWith({ typ: 'at+jwt' }), error: 'invalid_dpop_proof' },
  { name: 'typ missing', mutate: headerWith({ typ: undefined }), error: 'invalid_dpop_proof' },
  { name: 'a key that is not the token\'s cnf.jkt', mutate: (draft, { other }) => ({ ...headerWith({ jwk: other.publicJwk, alg: other.alg })(draft), signer: other }), error: 'invalid_token' },
];
