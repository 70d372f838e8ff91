import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';

/** What the upstream made of one request: the proof's verdict, and what it carried. */
export interface DpopVerdict {
  method: string;
  path: string;
  /** `undefined` when everything checked out. */
  failure?: string;
  scheme: string;
  nonce?: string;
  jkt?: string;
  jti?: string;
  htu?: string;
  /** The access token's claims (verified against the IdP's JWKS). */
  claims?: JWTPayload;
  bodyBytes: number;
}

export interface DpopUpstream {
  url: string;
  verdicts: DpopVerdict[];
  /** The next request whose proof lacks the current nonce is answered with the RFC 9449 §9 challenge (once each). */
  demandNonce(): string;
  stop(): Promise<void>;
}

const MAX_AGE_SECONDS = 60;

/**
 * A resource server that checks DPoP itself, written from RFC 9449 §4.3 and §7 with node:crypto (not the BFF's
 * helpers): the proof's `typ`, ES256 signature by its own `jwk`, `htm`, `htu` (this server's URL, no query), `iat`
 * within 60 s, a `jti` never seen, `ath` of the token, and the token (signed by the IdP) bound by `cnf.jkt` to that key.
 * Answers 200 with the verdict when all holds, 401 with it otherwise. `issuerOf` names the IdP once it is up.
 */
export async function startDpopUpstream(issuerOf: () => string): Promise<DpopUpstream> {
  const verifyRequest = dpopRequestVerifier(issuerOf);
  const verdicts: DpopVerdict[] = [];
  let nonce: string | undefined;
  let pendingChallenge = false;
  const server = createServer((req, res) => {
    void (async () => {
      const bodyBytes = (await bodyOf(req)).length;
      const verdict = { ...(await verifyRequest(req.method ?? 'GET', req.url ?? '/', req.headers, url)), bodyBytes };
      verdicts.push(verdict);
      if (!verdict.failure && pendingChallenge && verdict.nonce !== nonce) {
        pendingChallenge = false;
        verdict.failure = 'use_dpop_nonce';
        res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"', 'dpop-nonce': nonce ?? '', 'content-type': 'application/json' });
        res.end(JSON.stringify(verdict));
        return;
      }
      const status = verdict.failure ? 401 : 200;
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 401 && { 'www-authenticate': 'DPoP error="invalid_dpop_proof"' }) });
      res.end(JSON.stringify(verdict));
    })().catch(() => res.destroy());
  });
  const port = await listenOnLoopback(server, 0);
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    verdicts,
    demandNonce: () => {
      nonce = randomBytes(12).toString('base64url');
      pendingChallenge = true;
      return nonce;
    },
    stop: () => closeServer(server),
  };
}

/**
 * RFC 9449 §4.3 and §7 as a resource server applies them, with node:crypto: what `startDpopUpstream` checks, for any
 * request received at `baseUrl` (a WebSocket handshake's too). `jti`s are remembered per verifier.
 */
export function dpopRequestVerifier(issuerOf: () => string): (method: string, path: string, headers: IncomingHttpHeaders, baseUrl: string) => Promise<DpopVerdict> {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  const seenJti = new Set<string>();
  return async (method, path, headers, baseUrl) => {
    const [scheme = '', token = ''] = (headers.authorization ?? '').split(' ');
    const verdict: DpopVerdict = { method, path, scheme, bodyBytes: 0 };
    const proof = headers['dpop'];
    if (scheme !== 'DPoP' || typeof proof !== 'string') return { ...verdict, failure: 'not a DPoP request' };
    const opened = openProof(proof);
    if (typeof opened === 'string') return { ...verdict, failure: opened };
    const { payload, jkt } = opened;
    const { htm, htu, ath, jti, iat } = payload;
    const found = { ...verdict, jkt, jti: String(jti), htu: String(htu), ...(typeof payload['nonce'] === 'string' && { nonce: payload['nonce'] }) };
    if (htm !== method) return { ...found, failure: 'htm' };
    if (htu !== `${baseUrl}${path.split('?')[0]}`) return { ...found, failure: 'htu' };
    if (ath !== createHash('sha256').update(token).digest('base64url')) return { ...found, failure: 'ath' };
    if (typeof iat !== 'number' || Math.abs(Date.now() / 1000 - iat) > MAX_AGE_SECONDS) return { ...found, failure: 'iat' };
    if (typeof jti !== 'string' || seenJti.has(jti)) return { ...found, failure: 'jti replayed' };
    seenJti.add(jti);
    const issuer = issuerOf();
    keys ??= createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const claims = await jwtVerify(token, keys, { issuer }).then(
      (result) => result.payload,
      () => undefined,
    );
    if (!claims) return { ...found, failure: 'token' };
    const cnf = claims['cnf'] as { jkt?: unknown } | undefined;
    if (cnf?.jkt !== jkt) return { ...found, claims, failure: 'cnf.jkt' };
    return { ...found, claims };
  };
}

/** A proof's claims and key thumbprint once its header and ES256 signature check out, else what failed. */
export function openProof(proof: string): { payload: Record<string, unknown>; jkt: string } | string {
  const [headerPart = '', payloadPart = '', signature = ''] = proof.split('.');
  const header = parsePart(headerPart);
  if (header['typ'] !== 'dpop+jwt' || header['alg'] !== 'ES256') return 'typ or alg';
  const jwk = header['jwk'] as JsonWebKey & { d?: string };
  if (typeof jwk !== 'object' || jwk.d !== undefined) return 'private jwk';
  const signedBy = createPublicKey({ key: jwk, format: 'jwk' });
  const signed = verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), { key: signedBy, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  if (!signed) return 'signature';
  const jkt = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
  return { payload: parsePart(payloadPart), jkt };
}

function parsePart(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
