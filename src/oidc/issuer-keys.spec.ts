import { Logger } from '@nestjs/common';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { IssuerKeys, IssuerUnavailable } from './issuer-keys';

const ISSUER = 'https://partner.example/oauth2/abc';

/** A fake issuer behind the fetch the keys are given: its discovery document and JWKS, and what was asked. */
async function fakeIssuer(discovery: Record<string, unknown> | number) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] };
  const asked: string[] = [];
  const fetch = (url: string) => {
    asked.push(url);
    if (url.endsWith('/.well-known/openid-configuration')) {
      return Promise.resolve(typeof discovery === 'number' ? new Response(null, { status: discovery }) : Response.json(discovery));
    }
    return Promise.resolve(Response.json(jwks));
  };
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
  return { fetch, asked, token };
}

describe('IssuerKeys', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('discovers the issuer on first use, once, and finds its keys', async () => {
    const idp = await fakeIssuer({ issuer: ISSUER, jwks_uri: 'https://partner.example/keys' });
    const sut = new IssuerKeys(ISSUER, idp.fetch);
    expect(sut.state).toBe('unused');
    const [keys, again] = await Promise.all([sut.keySet(), sut.keySet()]);
    expect(keys).toBe(again);
    await expect(jwtVerify(idp.token, keys)).resolves.toMatchObject({ protectedHeader: { kid: 'k1' } });
    expect(idp.asked).toEqual([`${ISSUER}/.well-known/openid-configuration`, 'https://partner.example/keys']);
    expect(sut.state).toBe('up');
  });

  it('refuses a discovery document that names another issuer, and says so', async () => {
    const idp = await fakeIssuer({ issuer: `${ISSUER}/`, jwks_uri: 'https://partner.example/keys' });
    const sut = new IssuerKeys(ISSUER, idp.fetch);
    await expect(sut.keySet()).rejects.toBeInstanceOf(IssuerUnavailable);
    expect(sut.state).toBe('issuer_mismatch');
  });

  it('backs off after a failed discovery instead of asking again on every token', async () => {
    const idp = await fakeIssuer(503);
    const sut = new IssuerKeys(ISSUER, idp.fetch);
    await expect(sut.keySet()).rejects.toBeInstanceOf(IssuerUnavailable);
    await expect(sut.keySet()).rejects.toThrow(/next attempt in/);
    expect([idp.asked.length, sut.state]).toEqual([1, 'down']);
  });
});
