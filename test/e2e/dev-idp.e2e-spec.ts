import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { request } from 'undici';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { DEFAULT_RESOURCE, MACHINE_CLIENT_ID, OPAQUE_RESOURCE } from '../../dev/idp/idp-clients';
import { ALICE, BOB, CAROL } from '../../dev/idp/idp-users';
import { LOGOUT_EVENT } from '../../dev/idp/signing-keys';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { CookieJar } from '../support/cookie-jar';
import { TestBrowser } from '../support/test-browser';

const SCOPE = 'openid profile email offline_access';

describe('dev IdP', () => {
  let echo: EchoUpstream;
  let idp: DevIdp;
  let rp: oidc.Configuration;
  let redirectUri: string;
  const logoutTokens: string[] = [];
  const backchannelReceiver: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.end();
    });
  });

  beforeAll(async () => {
    echo = await startEchoUpstream();
    redirectUri = `${echo.url}/callback`;
    await new Promise<void>((resolve) => backchannelReceiver.listen(0, '127.0.0.1', resolve));
    const receiverAddress = backchannelReceiver.address();
    if (receiverAddress === null || typeof receiverAddress === 'string') throw new Error('receiver not listening');
    idp = await startDevIdp({
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [`${echo.url}/signed-out`],
      backchannelLogoutUri: `http://127.0.0.1:${receiverAddress.port}/backchannel-logout`,
    });
    rp = await discover(oidc.ClientSecretBasic(idp.clientSecret));
  });

  afterAll(async () => {
    await idp.stop();
    await echo.stop();
    await new Promise((resolve) => backchannelReceiver.close(resolve));
  });

  beforeEach(() => idp.resetCounters());

  function discover(auth: oidc.ClientAuth): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  }

  async function signIn(user: { username: string; password: string }, parameters: Record<string, string> = {}) {
    const browser = new TestBrowser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...parameters,
    });
    const navigation = await browser.loginWithForm(url.href, user.username, user.password);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(navigation.response.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    return { browser, navigation, tokens };
  }

  function refreshTokenOf(tokens: { refresh_token?: string }): string {
    if (!tokens.refresh_token) throw new Error('no refresh token issued');
    return tokens.refresh_token;
  }

  test('discovery advertises every endpoint the BFF uses', () => {
    const metadata = rp.serverMetadata();

    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata).toMatchObject({
      authorization_endpoint: `${idp.issuer}/auth`,
      token_endpoint: `${idp.issuer}/token`,
      jwks_uri: `${idp.issuer}/jwks`,
      revocation_endpoint: `${idp.issuer}/token/revocation`,
      introspection_endpoint: `${idp.issuer}/token/introspection`,
      end_session_endpoint: `${idp.issuer}/session/end`,
      backchannel_logout_supported: true,
      code_challenge_methods_supported: ['S256'],
    });
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    );
  });

  test('the code flow with PKCE yields an ID token with groups, a JWT access token and a refresh token', async () => {
    const { navigation, tokens } = await signIn(ALICE);

    expect(navigation.visited[0]).toContain(`${idp.issuer}/auth?`);
    expect(navigation.visited).toContain(navigation.response.url);
    expect(tokens.claims()).toMatchObject({
      iss: idp.issuer,
      aud: idp.clientId,
      sub: 'user-alice',
      email: 'alice@example.test',
      email_verified: true,
      name: 'Alice Admin',
      preferred_username: 'alice',
      groups: ['admins', 'users'],
    });
    expect(typeof tokens.claims()?.sid).toBe('string');
    expect(typeof tokens.refresh_token).toBe('string');
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), {
      issuer: idp.issuer,
      audience: DEFAULT_RESOURCE,
    });
    // offline_access is stripped at the authorization endpoint (no prompt=consent), yet a refresh token is issued.
    expect(payload).toMatchObject({ sub: 'user-alice', client_id: 'bff', scope: 'openid profile email', groups: ['admins', 'users'] });
    expect(tokens.expires_in).toBe(300);
    expect(idp.counters.authorizationCode).toBe(1);
  });

  test('a refresh rotates the refresh token, and replaying the old one fails and ends the grant', async () => {
    const { tokens } = await signIn(BOB);
    const first = refreshTokenOf(tokens);

    const refreshed = await oidc.refreshTokenGrant(rp, first);
    const second = refreshTokenOf(refreshed);

    expect(second).not.toBe(first);
    expect(refreshed.claims()).toMatchObject({ sub: 'user-bob', groups: ['users'] });
    await expect(oidc.refreshTokenGrant(rp, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(rp, second)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(idp.counters).toMatchObject({ refreshToken: 1, tokenErrors: 2 });
  });

  test('an explicit prompt=consent is approved without a screen and keeps offline_access', async () => {
    const { tokens, navigation } = await signIn(CAROL, { prompt: 'consent' });

    expect(navigation.visited.filter((url) => url.includes('/interaction/')).length).toBeGreaterThanOrEqual(2);
    expect(tokens.scope).toBe(SCOPE);
    expect(typeof tokens.refresh_token).toBe('string');
  });

  test('the main client may authenticate with client_secret_post as well', async () => {
    const { tokens } = await signIn(CAROL);
    const postRp = await discover(oidc.ClientSecretPost(idp.clientSecret));

    const refreshed = await oidc.refreshTokenGrant(postRp, refreshTokenOf(tokens));

    expect(refreshed.claims()).toMatchObject({ sub: 'user-carol', groups: [] });
  });

  test('revokeGrantsOf makes the user refresh tokens fail with invalid_grant', async () => {
    const { tokens } = await signIn(BOB);

    expect(idp.revokeGrantsOf('user-bob')).toBeGreaterThan(0);

    await expect(oidc.refreshTokenGrant(rp, refreshTokenOf(tokens))).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('a wrong password re-renders the login form with an error', async () => {
    const browser = new TestBrowser();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });

    const { response } = await browser.loginWithForm(url.href, 'alice', 'not-her-password');

    expect(response.status).toBe(200);
    expect(response.url).toMatch(/\/interaction\/[\w-]+\/login$/);
    expect(response.body).toContain('<title>Development IdP</title>');
    expect(response.body).toContain('Invalid username or password.');
    expect(response.body).toContain('>Sign in</button>');
  });

  test('the test browser posts a form_post response to the redirect URI', async () => {
    const browser = new TestBrowser();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      response_mode: 'form_post',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'form-post-state',
    });

    const { response, visited } = await browser.loginWithForm(url.href, ALICE.username, ALICE.password);

    expect(visited.at(-1)).toBe(redirectUri);
    expect(JSON.parse(response.body)).toMatchObject({
      method: 'POST',
      path: '/callback',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(browser.cookies(idp.issuer)).toHaveProperty('_session');
  });

  test('client_credentials works for the machine client, yields a JWT with the custom scope and is counted', async () => {
    const token = await idp.issueClientCredentialsToken('orders:read');

    const { payload } = await jwtVerify(token.access_token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), {
      issuer: idp.issuer,
      audience: DEFAULT_RESOURCE,
    });
    expect(payload).toMatchObject({ sub: MACHINE_CLIENT_ID, client_id: MACHINE_CLIENT_ID, scope: 'orders:read' });
    expect(idp.counters.clientCredentials).toBe(1);
  });

  test('an opaque token for the opaque resource can be introspected by the main client', async () => {
    const token = await idp.issueClientCredentialsToken('orders:write', OPAQUE_RESOURCE);

    const introspection = await oidc.tokenIntrospection(rp, token.access_token);

    expect(token.access_token.split('.')).toHaveLength(1);
    expect(introspection).toMatchObject({ active: true, client_id: MACHINE_CLIENT_ID, scope: 'orders:write', aud: OPAQUE_RESOURCE });
  });

  test('wrong machine credentials are a token error', async () => {
    const response = await request(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${MACHINE_CLIENT_ID}:wrong`)}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });

    await expect(response.body.json()).resolves.toMatchObject({ error: 'invalid_client' });
    expect(response.statusCode).toBe(401);
    expect(idp.counters.tokenErrors).toBe(1);
  });

  test('revoking a refresh token is counted and the token stops working', async () => {
    const { tokens } = await signIn(ALICE);

    await oidc.tokenRevocation(rp, refreshTokenOf(tokens));

    expect(idp.counters.revocations).toBe(1);
    await expect(oidc.refreshTokenGrant(rp, refreshTokenOf(tokens))).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('RP-initiated logout confirms itself, sends a back-channel logout and returns to the post-logout URI', async () => {
    const { browser, tokens } = await signIn(ALICE);
    const logoutUrl = oidc.buildEndSessionUrl(rp, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: `${echo.url}/signed-out`,
      state: 'bye',
    });

    const { response } = await browser.follow(await browser.get(logoutUrl.href));

    expect(response.url).toBe(`${echo.url}/signed-out?state=bye`);
    expect(idp.counters.backchannelLogouts).toBe(1);
    expect(browser.cookies(idp.issuer)).not.toHaveProperty('_session');
    const { payload, protectedHeader } = await jwtVerify(logoutTokens.at(-1) ?? '', createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), {
      issuer: idp.issuer,
      audience: idp.clientId,
    });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload).toMatchObject({ sub: 'user-alice', sid: tokens.claims()?.sid, events: { [LOGOUT_EVENT]: {} } });
  });

  test('signLogoutToken signs a logout token the JWKS verifies', async () => {
    const token = await idp.signLogoutToken({ sub: 'user-alice', sid: 'some-sid' });

    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), {
      issuer: idp.issuer,
      audience: idp.clientId,
    });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload).toMatchObject({ sub: 'user-alice', sid: 'some-sid', events: { [LOGOUT_EVENT]: {} } });
    expect(typeof payload.jti).toBe('string');
    await expect(
      jwtVerify(await idp.signLogoutToken({ sub: 'x' }, { signedBy: 'stranger' }), createRemoteJWKSet(new URL(`${idp.issuer}/jwks`))),
    ).rejects.toThrow();
  });

  test('the token endpoint can be slowed down', async () => {
    idp.tokenDelayMs = 200;
    const started = performance.now();
    try {
      await idp.issueClientCredentialsToken();
    } finally {
      idp.tokenDelayMs = 0;
    }

    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  test('stop and restart keep the port, the keys and the issued grants', async () => {
    const { tokens } = await signIn(BOB);
    const jwksBefore = await (await fetch(`${idp.issuer}/jwks`)).json();

    await idp.stop();
    await expect(fetch(`${idp.issuer}/jwks`)).rejects.toThrow();
    await idp.restart();

    await expect((await fetch(`${idp.issuer}/jwks`)).json()).resolves.toEqual(jwksBefore);
    const refreshed = await oidc.refreshTokenGrant(rp, refreshTokenOf(tokens));
    expect(refreshed.claims()?.sub).toBe('user-bob');
  });
});

describe('echo upstream', () => {
  let echo: EchoUpstream;

  beforeAll(async () => {
    echo = await startEchoUpstream();
  });

  afterAll(async () => {
    await echo.stop();
  });

  test('it echoes method, path, query, headers and a digest of the body', async () => {
    const body = 'x'.repeat(100_000);

    const response = await fetch(`${echo.url}/some/path?a=1&b=two`, { method: 'PUT', headers: { 'x-test': 'yes' }, body });

    await expect(response.json()).resolves.toMatchObject({
      method: 'PUT',
      path: '/some/path',
      query: { a: '1', b: 'two' },
      headers: { 'x-test': 'yes' },
      bodyBytes: 100_000,
      bodySha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(echo.requests.at(-1)).toMatchObject({ method: 'PUT', url: '/some/path?a=1&b=two' });
  });

  test('it answers /status/:code with that status', async () => {
    const response = await fetch(`${echo.url}/status/503`);

    expect(response.status).toBe(503);
    await expect(response.json()).resolves.toEqual({ upstream: true, status: 503 });
  });

  test('it streams server-sent events one at a time', async () => {
    const response = await fetch(`${echo.url}/sse?events=3&intervalMs=20`);
    const decoder = new TextDecoder();
    let text = '';
    if (!response.body) throw new Error('no body');
    for await (const chunk of response.body) {
      if (!(chunk instanceof Uint8Array)) throw new Error('expected bytes');
      text += decoder.decode(chunk, { stream: true });
    }

    expect(response.headers.get('content-type')).toBe('text/event-stream');
    // When each event was sent, by the upstream's own clock: a client that is slow to read may get them together.
    const sentAt = [...text.matchAll(/^data: (.*)$/gm)].map(([, data = '{}']) => (JSON.parse(data) as { at: number }).at);
    expect(sentAt).toHaveLength(3);
    expect((sentAt.at(-1) ?? 0) - (sentAt[0] ?? 0)).toBeGreaterThanOrEqual(30);
  });

  test('it streams a download of the requested size', async () => {
    const response = await fetch(`${echo.url}/download?bytes=300000`);

    await expect(response.arrayBuffer().then((b) => b.byteLength)).resolves.toBe(300_000);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
  });

  test('it delays headers on /slow-headers and drops the connection on /reset', async () => {
    const started = performance.now();
    await (await fetch(`${echo.url}/slow-headers?ms=100`)).json();
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);

    const reset = await fetch(`${echo.url}/reset`);
    await expect(reset.text()).rejects.toThrow();
  });
});

describe('cookie jar', () => {
  test('it ignores the port, honours Path and deletes on Max-Age=0', () => {
    const sut = new CookieJar();
    sut.store(new URL('http://127.0.0.1:8000/auth/login'), ['a=1; Path=/; HttpOnly', 'b=2', 'c=3; Path=/api']);

    expect(sut.header(new URL('http://127.0.0.1:9000/auth/callback'))).toBe('b=2; a=1');
    expect(sut.header(new URL('http://127.0.0.1:8000/api/orders'))).toBe('c=3; a=1');
    expect(sut.header(new URL('http://localhost:8000/'))).toBeUndefined();

    expect(sut.raw('http://127.0.0.1:9000/')).toContain('a=1; Path=/; HttpOnly');

    sut.store(new URL('http://127.0.0.1:8000/'), ['a=; Max-Age=0; Path=/', 'c=; Path=/api; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(sut.cookies('127.0.0.1')).toEqual({ b: '2' });
  });
});
