import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { IdTokenVerifier } from './id-token.verifier';
import { InvalidIdpAnswer, KeySetUnreachable } from './idp-errors';

const ISSUER = 'https://idp.example.test/oauth2/default';
const CLIENT_ID = 'bff';
const NONCE = 'nonce-1';

let signingKey: CryptoKey;
let otherKey: CryptoKey;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] });
});

const now = () => Math.floor(Date.now() / 1000);
const claims = (): JWTPayload => ({ iss: ISSUER, sub: 'user-1', aud: CLIENT_ID, exp: now() + 300, iat: now(), nonce: NONCE });

function sign(payload: JWTPayload, key = signingKey, kid = 'k1'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
}

function without(payload: JWTPayload, claim: string): JWTPayload {
  const copy = { ...payload };
  delete copy[claim];
  return copy;
}

const sut = () => new IdTokenVerifier(() => Promise.resolve(keys), CLIENT_ID);

async function failureOf(token: Promise<string>, expected: Parameters<IdTokenVerifier['verify']>[2] = { nonce: NONCE }): Promise<string> {
  const error: unknown = await sut().verify(await token, ISSUER, expected).then(() => undefined, (caught: unknown) => caught);
  return error instanceof InvalidIdpAnswer ? error.code : `not refused: ${String(error)}`;
}

describe('IdTokenVerifier', () => {
  it('accepts a well-formed ID token and returns its claims (the control for every case below)', async () => {
    await expect(sut().verify(await sign(claims()), ISSUER, { nonce: NONCE })).resolves.toMatchObject({ sub: 'user-1', nonce: NONCE });
  });

  it.each([
    ['a signature by another key', () => sign(claims(), otherKey), 'id_token_signature'],
    ['a key id the issuer does not publish', () => sign(claims(), signingKey, 'k2'), 'id_token_unknown_key'],
    ['another issuer', () => sign({ ...claims(), iss: 'https://evil.example.test' }), 'id_token_iss'],
    ['another audience', () => sign({ ...claims(), aud: 'someone-else' }), 'id_token_aud'],
    ['another nonce', () => sign({ ...claims(), nonce: 'replayed' }), 'id_token_nonce'],
    ['no nonce', () => sign(without(claims(), 'nonce')), 'id_token_nonce'],
    ['no iat', () => sign(without(claims(), 'iat')), 'id_token_iat'],
    ['no sub', () => sign(without(claims(), 'sub')), 'id_token_sub'],
    ['an expiry in the past', () => sign({ ...claims(), exp: now() - 120 }), 'id_token_exp'],
    ['several audiences and no azp', () => sign({ ...claims(), aud: [CLIENT_ID, 'other'] }), 'id_token_azp'],
    ['an azp naming another client', () => sign({ ...claims(), azp: 'other' }), 'id_token_azp'],
  ])('refuses %s', async (_case, token, code) => {
    await expect(failureOf(token())).resolves.toBe(code);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims())).toString('base64url');

    await expect(failureOf(Promise.resolve(`${header}.${payload}.`))).resolves.toBe('id_token_alg');
  });

  it('accepts several audiences when azp names this client', async () => {
    await expect(sut().verify(await sign({ ...claims(), aud: [CLIENT_ID, 'other'], azp: CLIENT_ID }), ISSUER, { nonce: NONCE })).resolves.toBeDefined();
  });

  describe('on a refresh (OIDC Core 12.2)', () => {
    const original = { issuer: ISSUER, subject: 'user-1', nonce: NONCE };

    it('accepts the same subject, with the original nonce or none', async () => {
      await expect(sut().verify(await sign(claims()), ISSUER, { original })).resolves.toBeDefined();
      await expect(sut().verify(await sign(without(claims(), 'nonce')), ISSUER, { original })).resolves.toBeDefined();
    });

    it('refuses another subject', async () => {
      await expect(failureOf(sign({ ...claims(), sub: 'user-2' }), { original })).resolves.toBe('id_token_subject_changed');
    });

    it('refuses another issuer than the original one, even one the configuration now trusts', async () => {
      await expect(failureOf(sign(claims()), { original: { ...original, issuer: 'https://old.example.test' } })).resolves.toBe(
        'id_token_issuer_changed',
      );
    });

    it('refuses a nonce other than the original one', async () => {
      await expect(failureOf(sign({ ...claims(), nonce: 'other' }), { original })).resolves.toBe('id_token_nonce');
    });
  });

  it('reports a key set that cannot be fetched as unreachable, not as a bad token', async () => {
    const down = new IdTokenVerifier(() => Promise.resolve(() => Promise.reject(new TypeError('fetch failed'))), CLIENT_ID);

    await expect(down.verify(await sign(claims()), ISSUER, { nonce: NONCE })).rejects.toBeInstanceOf(KeySetUnreachable);
  });
});
