import { MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET, OPAQUE_RESOURCE } from '../../dev/idp/idp-clients';
import { obtainTokens } from '../support/direct-tokens';
import type { EchoBody } from '../support/echo-upstream';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';

const OTHER_CLIENT = { clientId: 'other-spa', clientSecret: 'other-spa-secret-0123456789abcdef', redirectUri: 'http://127.0.0.1:9/callback' };

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}

describe('bearer tokens: only access tokens, positively', () => {
  let stack: ProxyStack;

  beforeAll(async () => {
    stack = await startProxyStack(
      { RATE_LIMIT_CREDENTIAL_FAILURES: 'off' },
      {
        clients: [
          {
            client_id: OTHER_CLIENT.clientId,
            client_secret: OTHER_CLIENT.clientSecret,
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            redirect_uris: [OTHER_CLIENT.redirectUri],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
      },
    );
  });
  afterAll(async () => {
    await stack.stop();
  });

  const call = (path: string, authorization: string) => fetch(`${stack.publicUrl}${path}`, { headers: { authorization } });

  async function expectInvalidToken(response: Response): Promise<void> {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  }

  it('refuses an ID token issued to another client of the same IdP (OIDC_AUDIENCE unset)', async () => {
    const { id_token: idToken } = await obtainTokens(stack.idp.issuer, OTHER_CLIENT, 'alice', { nonce: false });
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    // Nothing in it says "ID token" but its use: no nonce, no hashes, another client's audience.
    expect(Object.keys(claims).filter((claim) => ['nonce', 'at_hash', 'c_hash', 's_hash', 'scope', 'scp'].includes(claim))).toEqual([]);
    expect(claims['aud']).toBe(OTHER_CLIENT.clientId);
    const before = stack.upstream.requests.length;
    await expectInvalidToken(await call('/machines/jobs', `Bearer ${idToken}`));
    expect(stack.upstream.requests.length).toBe(before);
  });

  it('refuses a refresh token, which introspection calls active', async () => {
    const { refresh_token: refreshToken } = await obtainTokens(
      stack.idp.issuer,
      { clientId: stack.idp.clientId, clientSecret: stack.idp.clientSecret, redirectUri: `${stack.publicUrl}/auth/callback` },
      'bob',
    );
    expect(refreshToken).toBeTruthy();
    await expectInvalidToken(await call('/machines/jobs', `Bearer ${refreshToken}`));
  });

  it('refuses a logout token signed by the IdP', async () => {
    const logoutToken = await stack.idp.signLogoutToken({ sub: 'user-alice' });
    await expectInvalidToken(await call('/machines/jobs', `Bearer ${logoutToken}`));
  });

  it('accepts an opaque client-credentials token and maps its consumer by client_id (no sub)', async () => {
    const created = await stack.app.admin('/consumers', { method: 'POST', body: JSON.stringify({ custom_id: MACHINE_CLIENT_ID, username: 'machine-consumer' }) });
    expect(created.status).toBe(201);
    const { access_token: opaque } = await stack.idp.issueClientCredentialsToken('orders:read', OPAQUE_RESOURCE);
    expect(opaque).not.toMatch(/^eyJ/);
    const response = await call('/machines/jobs', `Bearer ${opaque}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as EchoBody;
    expect(body.headers['x-consumer-custom-id']).toBe(MACHINE_CLIENT_ID);
    expect(body.headers['x-credential-identifier']).toBe(MACHINE_CLIENT_ID);
  });

  it('asks the IdP once about a bad opaque token, however often it is tried within a minute', async () => {
    stack.idp.resetCounters();
    for (let attempt = 0; attempt < 5; attempt += 1) await expectInvalidToken(await call('/machines/jobs', 'Bearer not-a-token-the-idp-knows'));
    expect(stack.idp.counters.introspections).toBe(1);
  });

  it('asks the token endpoint once about a wrong client secret, however often it is tried within a minute', async () => {
    stack.idp.resetCounters();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await call('/cc/jobs', basic(MACHINE_CLIENT_ID, 'wrong-secret'));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
    expect(stack.idp.counters.tokenRequests).toBe(1);
    // The right secret is another pair: it is asked about, and works.
    expect((await call('/cc/jobs', basic(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET))).status).toBe(200);
  });
});

describe('failed credentials per client IP (RATE_LIMIT_CREDENTIAL_FAILURES)', () => {
  let stack: ProxyStack;

  beforeAll(async () => {
    stack = await startProxyStack({ RATE_LIMIT_CREDENTIAL_FAILURES: '3/60' });
  });
  afterAll(async () => {
    await stack.stop();
  });

  const call = (authorization: string) => fetch(`${stack.publicUrl}/machines/jobs`, { headers: { authorization } });

  it('answers 429 after the limit, before asking the IdP, while credentials verified earlier keep working', async () => {
    const { access_token: known } = await stack.idp.issueClientCredentialsToken();
    expect((await call(`Bearer ${known}`)).status).toBe(200);
    for (let guess = 0; guess < 3; guess += 1) expect((await call(`Bearer guess-${guess}`)).status).toBe(401);

    stack.idp.resetCounters();
    const refused = await call('Bearer guess-3');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: 'too_many_requests' });
    const { access_token: fresh } = await stack.idp.issueClientCredentialsToken();
    expect((await call(`Bearer ${fresh}`)).status).toBe(429);
    expect(stack.idp.counters.introspections).toBe(0);
    expect((await call(`Bearer ${known}`)).status).toBe(200);
  });
});

describe('a locked-out address keeps what it used successfully before', () => {
  let stack: ProxyStack;

  beforeAll(async () => {
    stack = await startProxyStack({ RATE_LIMIT_CREDENTIAL_FAILURES: '3/60' });
  });
  afterAll(async () => {
    await stack.stop();
  });

  const call = (path: string, authorization: string) => fetch(`${stack.publicUrl}${path}`, { headers: { authorization } });

  it('serves a Basic pair whose token is cached from memory, asking the IdP nothing, while new pairs get 429', async () => {
    const good = basic(MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET);
    expect((await call('/cc/jobs', good)).status).toBe(200);
    for (let guess = 0; guess < 3; guess += 1) expect((await call('/cc/jobs', basic(MACHINE_CLIENT_ID, `guess-${guess}`))).status).toBe(401);
    expect((await call('/cc/jobs', basic(MACHINE_CLIENT_ID, 'guess-3'))).status).toBe(429);

    stack.idp.resetCounters();
    const known = await call('/cc/jobs', good);
    expect(known.status).toBe(200);
    expect(((await known.json()) as EchoBody).headers['authorization']).toMatch(/^Bearer ey/);
    expect(stack.idp.counters.tokenRequests).toBe(0);
    // A pair this address never used successfully is still refused before the IdP is asked.
    expect((await call('/cc/jobs', basic('someone-else', 'secret'))).status).toBe(429);
    expect(stack.idp.counters.tokenRequests).toBe(0);
  });
});
