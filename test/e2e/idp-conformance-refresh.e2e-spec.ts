import type { EchoBody } from '../support/echo-upstream';
import type { Fault } from '../support/misbehaving-tokens';
import { startMisbehavingStack, type MisbehavingStack } from '../support/misbehaving-stack';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
// Tokens live 30 s and are refreshed when they expire within 60 s: every call refreshes, and the old token is valid.
const ENV = { TOKEN_REFRESH_SKEW: '60' };
const IDP = { accessTokenTtlSeconds: 30 };

describe('refreshes at a provider that gets one thing wrong', () => {
  let stack: MisbehavingStack;

  beforeAll(async () => {
    stack = await startMisbehavingStack(ENV, IDP);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(() => {
    stack.idp.faults = {};
  });

  async function callApi(browser: TestBrowser) {
    const response = await browser.get(`${stack.publicUrl}/api/resource`, CSRF);
    return { status: response.status, body: JSON.parse(response.body) as Partial<EchoBody> & { error?: string } };
  }

  it('refreshes with rotation when nothing is wrong: each call presents the refresh token the last one returned', async () => {
    const browser = await stack.signedIn();
    const before = stack.idp.calls.refresh;
    const bearers = new Set<unknown>();
    for (let call = 0; call < 3; call += 1) {
      const answer = await callApi(browser);
      expect(answer.status).toBe(200);
      bearers.add(answer.body.headers?.['authorization']);
    }
    // The provider accepts each refresh token once: a reused one would have ended the session with invalid_grant.
    expect(stack.idp.calls.refresh - before).toBe(3);
    expect(bearers.size).toBe(3);
  });

  it.each<[string, Fault]>([
    ['an ID token of another subject (OIDC Core 12.2)', 'other_subject'],
    ['an ID token with a broken signature', 'bad_signature'],
    ['token_type DPoP', 'token_type_dpop'],
    ['no access token', 'no_access_token'],
    ['400 with an empty body (glewlwyd)', 'empty_400'],
  ])('ends the session with 401 refresh_failed on %s, and forwards nothing', async (_case, fault) => {
    const browser = await stack.signedIn();
    stack.idp.faults.refresh = fault;
    const forwarded = stack.upstream.requests.length;

    const answer = await callApi(browser);
    expect([answer.status, answer.body.error]).toEqual([401, 'refresh_failed']);
    expect(stack.upstream.requests.length).toBe(forwarded);
    stack.idp.faults = {};
    const after = await callApi(browser);
    expect(after.status).toBe(401);
    // The 401 cleared the cookie; whatever the browser still holds, the session is gone.
    expect(after.body.error).toMatch(/^(not_authenticated|session_expired|session_revoked)$/);
  });

  it('answers 503 and keeps the session when the token endpoint refuses the client with an empty 403', async () => {
    const browser = await stack.signedIn();
    stack.idp.faults.refresh = 'empty_403';

    const refused = await callApi(browser);
    expect([refused.status, refused.body.error]).toEqual([503, 'idp_unavailable']);
    stack.idp.faults = {};
    expect((await callApi(browser)).status).toBe(200);
  });
});

describe('the client-credentials flow and introspection at a provider that refuses', () => {
  let stack: MisbehavingStack;
  let pairs = 0;
  let tokens = 0;

  beforeAll(async () => {
    stack = await startMisbehavingStack(ENV, IDP);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(() => {
    stack.idp.faults = {};
    stack.idp.introspectionStatus = 200;
  });

  // Each call its own pair and token: neither a cached grant nor a remembered failure may answer for the IdP.
  const basic = () => `Basic ${Buffer.from(`machine-${(pairs += 1)}:machine-secret.v1~x`).toString('base64')}`;
  const opaque = () => `opaque-token-${(tokens += 1)}`;
  const call = (path: string, authorization: string) => fetch(`${stack.publicUrl}${path}`, { headers: { authorization } });

  it('forwards a client-credentials call when nothing is wrong', async () => {
    expect((await call('/cc/x', basic())).status).toBe(200);
  });

  it.each<[string, Fault]>([
    ['400', 'empty_400'],
    ['403', 'empty_403'],
  ])('answers 401 with WWW-Authenticate: Basic when the IdP refuses the credentials with an empty %s', async (_case, fault) => {
    stack.idp.faults.clientCredentials = fault;
    const response = await call('/cc/x', basic());

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('answers 401 when the IdP grants a token that is not a Bearer token', async () => {
    stack.idp.faults.clientCredentials = 'token_type_dpop';

    expect((await call('/cc/x', basic())).status).toBe(401);
  });

  it('forwards an opaque bearer token the IdP introspects as active', async () => {
    expect((await call('/machines/x', `Bearer ${opaque()}`)).status).toBe(200);
  });

  it.each([400, 401, 403])('answers 401 invalid_token, never 503, when introspection answers %i', async (status) => {
    stack.idp.introspectionStatus = status;
    const response = await call('/machines/x', `Bearer ${opaque()}`);

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('answers 503 when introspection fails with a 5xx', async () => {
    stack.idp.introspectionStatus = 502;

    expect((await call('/machines/x', `Bearer ${opaque()}`)).status).toBe(503);
  });
});
