import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { ClientKey } from '../config/client-key';
import { basicCredentialPart, clientAuthentication, clientSecretBasic, NoAssertionAlgorithm } from './client-authentication';

describe('basicCredentialPart', () => {
  it('leaves the RFC 3986 unreserved characters as they are', () => {
    expect(basicCredentialPart('AZaz09-._~')).toBe('AZaz09-._~');
  });

  it("percent-encodes everything else, including the characters encodeURIComponent keeps (!*'())", () => {
    expect(basicCredentialPart("a:b c+d/%!*'()")).toBe('a%3Ab%20c%2Bd%2F%25%21%2A%27%28%29');
  });

  it('encodes non-ASCII characters as their UTF-8 bytes', () => {
    expect(basicCredentialPart('é😀')).toBe('%C3%A9%F0%9F%98%80');
  });
});

describe('clientSecretBasic', () => {
  it('sends Basic base64(id:secret) with both parts encoded, and adds nothing to the body', () => {
    const headers = new Headers();
    const body = new URLSearchParams();
    clientSecretBasic('s3cr-et.with_~dash:colon')({ issuer: 'https://idp.test' }, { client_id: 'my-client' }, body, headers);

    const encoded = headers.get('authorization')?.replace(/^Basic /, '') ?? '';
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('my-client:s3cr-et.with_~dash%3Acolon');
    expect([...body.keys()]).toEqual([]);
  });
});

describe('clientAuthentication with private_key_jwt', () => {
  const server = { issuer: 'https://idp.test', token_endpoint_auth_signing_alg_values_supported: ['HS256', 'PS256', 'RS256'] };
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key: ClientKey = { type: 'EC', privateKey, publicJwk: { kty: 'EC', kid: 'client-key-1', use: 'sig' } };

  async function assertionOf(metadata: typeof server): Promise<{ body: URLSearchParams; token: string }> {
    const body = new URLSearchParams();
    // openid-client awaits what a ClientAuth returns, though its type says void.
    await Promise.resolve(clientAuthentication({ method: 'private_key_jwt', key })(metadata, { client_id: 'my-client' }, body, new Headers()));
    return { body, token: body.get('client_assertion') ?? '' };
  }

  it('signs an assertion for the issuer, from the client, valid at most 60 s, with a fresh jti each time', async () => {
    const ec = { ...server, token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256'] };
    const first = await assertionOf(ec);
    expect(first.body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(first.body.get('client_id')).toBe('my-client');
    const { payload, protectedHeader } = await jwtVerify(first.token, publicKey, { issuer: 'my-client', subject: 'my-client', audience: 'https://idp.test' });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'client-key-1' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(60);
    const second = await jwtVerify((await assertionOf(ec)).token, publicKey);
    expect(second.payload.jti).toEqual(expect.any(String) as unknown);
    expect(second.payload.jti).not.toBe(payload.jti);
  });

  it.each([
    ['rsa', ['PS256', 'RS256'], 'PS256'],
    ['rsa', ['RS256'], 'RS256'],
    ['ed25519', ['EdDSA'], 'EdDSA'],
    ['ed25519', ['Ed25519', 'EdDSA'], 'Ed25519'],
  ] as const)('signs with a %s key the algorithm the IdP lists first (%j → %s), verifiably', async (kind, listed, alg) => {
    const pair = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
    const typed: ClientKey = { type: kind === 'rsa' ? 'RSA' : 'OKP', privateKey: pair.privateKey, publicJwk: { kty: kind === 'rsa' ? 'RSA' : 'OKP', kid: 'k', use: 'sig' } };
    const body = new URLSearchParams();
    const metadata = { ...server, token_endpoint_auth_signing_alg_values_supported: [...listed] };
    await Promise.resolve(clientAuthentication({ method: 'private_key_jwt', key: typed })(metadata, { client_id: 'c' }, body, new Headers()));
    const { protectedHeader } = await jwtVerify(body.get('client_assertion') ?? '', pair.publicKey, { algorithms: [alg], audience: server.issuer });
    expect(protectedHeader.alg).toBe(alg);
  });

  it('refuses to sign when the IdP lists no algorithm the key fits', async () => {
    await expect(assertionOf(server)).rejects.toBeInstanceOf(NoAssertionAlgorithm);
  });
});
