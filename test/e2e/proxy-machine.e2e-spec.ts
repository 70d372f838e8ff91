import { setTimeout as sleep } from 'node:timers/promises';
import { MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET } from '../../dev/idp/idp-clients';
import type { EchoBody } from '../support/echo-upstream';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';

const TOKEN_TTL_SECONDS = 2;

describe('machine clients through the proxy', () => {
  let stack: ProxyStack;

  beforeAll(async () => {
    stack = await startProxyStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  const get = (path: string, authorization: string) => fetch(`${stack.publicUrl}${path}`, { headers: { authorization } });

  it('forwards a client-credentials JWT as is, without a CSRF header, with the caller as credential', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken('orders:read');
    const response = await get('/machines/jobs', `Bearer ${token}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as EchoBody;
    expect(body.headers['authorization']).toBe(`Bearer ${token}`);
    expect(body.headers['x-credential-identifier']).toBe(MACHINE_CLIENT_ID);
    expect(body.headers['x-consumer-id']).toBeUndefined();
  });

  it('applies route scopes to bearer callers', async () => {
    const withScope = await stack.idp.issueClientCredentialsToken('orders:read');
    expect((await get('/orders/1', `Bearer ${withScope.access_token}`)).status).toBe(200);
    const withoutScope = await stack.idp.issueClientCredentialsToken('orders:write');
    const denied = await get('/orders/1', `Bearer ${withoutScope.access_token}`);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it.each([
    ['a tampered token', (token: string) => `${token.slice(0, -4)}AAAA`],
    ['a token with a forged payload', (token: string) => {
      const [header, , signature] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ sub: 'admin', iss: stack.idp.issuer, exp: 9_999_999_999 })).toString('base64url');
      return `${header}.${forged}.${signature}`;
    }],
    ['garbage', () => 'not-a-token'],
  ])('rejects %s with 401 and WWW-Authenticate: Bearer error="invalid_token"', async (_case, mangle) => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken();
    const response = await get('/machines/jobs', `Bearer ${mangle(token)}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('refuses an ID token used as a bearer token', async () => {
    const browser = await stack.signedIn('alice');
    const user = JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' })).body) as { logoutUrl: string };
    const logout = await browser.get(`${stack.publicUrl}${user.logoutUrl}`);
    const idToken = new URL(logout.location!).searchParams.get('id_token_hint')!;
    expect(idToken).toMatch(/^eyJ/);
    const response = await get('/machines/jobs', `Bearer ${idToken}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('exchanges Basic client credentials for a token at the IdP (Kong flow) and reuses it', async () => {
    const basic = `Basic ${Buffer.from(`${MACHINE_CLIENT_ID}:${MACHINE_CLIENT_SECRET}`).toString('base64')}`;
    stack.idp.resetCounters();
    const responses = await Promise.all(Array.from({ length: 10 }, () => get('/cc/jobs', basic)));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    const body = (await responses[0].json()) as EchoBody;
    expect(String(body.headers['authorization'])).toMatch(/^Bearer eyJ/);
    expect(stack.idp.counters.clientCredentials).toBe(1);
    const wrong = await get('/cc/jobs', `Basic ${Buffer.from(`${MACHINE_CLIENT_ID}:wrong`).toString('base64')}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

});

describe('machine clients with short-lived tokens', () => {
  let stack: ProxyStack;

  beforeAll(async () => {
    stack = await startProxyStack({}, { accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('rejects a bearer token once it has expired', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken();
    const authorization = `Bearer ${token}`;
    expect((await fetch(`${stack.publicUrl}/machines/jobs`, { headers: { authorization } })).status).toBe(200);
    // Past its expiry and the verifier's 5 s clock tolerance.
    await sleep((TOKEN_TTL_SECONDS + 5 + 1) * 1000);
    const response = await fetch(`${stack.publicUrl}/machines/jobs`, { headers: { authorization } });
    expect(response.status).toBe(401);
  });
});
