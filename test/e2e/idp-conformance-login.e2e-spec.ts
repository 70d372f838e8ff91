import type { Fault } from '../support/misbehaving-tokens';
import { startMisbehavingStack, type MisbehavingStack } from '../support/misbehaving-stack';
import { JSON_ACCEPT, TestBrowser, type BrowserResponse } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };

function errorOf(response: BrowserResponse): unknown {
  return (JSON.parse(response.body) as { error?: unknown }).error;
}

// The OpenID Foundation's RP test plan, one fault per case; the control below differs from each in nothing else.
describe('logins at a provider that gets one thing wrong', () => {
  let stack: MisbehavingStack;

  beforeAll(async () => {
    stack = await startMisbehavingStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(() => {
    stack.idp.faults = {};
    stack.idp.groups = ['staff'];
  });

  it('logs in when nothing is wrong (client_secret_basic with a secret of - . _ ~, compared as sent)', async () => {
    const browser = new TestBrowser();
    const callback = await stack.login(browser);

    expect([callback.status, callback.location]).toEqual([302, `${stack.publicUrl}/`]);
    const user = await browser.get(`${stack.publicUrl}/auth/user`, CSRF);
    expect(user.status).toBe(200);
    expect(JSON.parse(user.body)).toMatchObject({ sub: 'user-alice', claims: { iss: stack.idp.issuer, aud: 'bff' } });
  });

  it.each<[string, Fault]>([
    ['a broken RS256 signature', 'bad_signature'],
    ['another issuer', 'wrong_iss'],
    ['another audience', 'wrong_aud'],
    ['another nonce', 'wrong_nonce'],
    ['no iat', 'no_iat'],
    ['no sub', 'no_sub'],
    ['alg none', 'alg_none'],
    ['a key the issuer does not publish', 'unpublished_key'],
    ['token_type DPoP', 'token_type_dpop'],
    ['no access token', 'no_access_token'],
  ])('refuses a login whose token response has %s: 401, no session', async (_case, fault) => {
    stack.idp.faults.code = fault;
    const browser = new TestBrowser({ accept: JSON_ACCEPT });
    const callback = await stack.login(browser);

    expect([callback.status, errorOf(callback)]).toEqual([401, 'invalid_token_response']);
    expect(browser.cookies(stack.publicUrl)['bff-session']).toBeUndefined();
  });

  it('answers 401 code_rejected when the token endpoint answers 400 with an empty body', async () => {
    stack.idp.faults.code = 'empty_400';
    const callback = await stack.login(new TestBrowser({ accept: JSON_ACCEPT }));

    expect([callback.status, errorOf(callback)]).toEqual([401, 'code_rejected']);
  });

  it('answers 503 (a configuration error, not the user) when the token endpoint refuses the client with an empty 403', async () => {
    stack.idp.faults.code = 'empty_403';
    const callback = await stack.login(new TestBrowser({ accept: JSON_ACCEPT }));

    expect([callback.status, errorOf(callback)]).toEqual([503, 'idp_unavailable']);
  });

  it.each([
    ['an array', ['staff', 'admins']],
    ['one comma-separated string', 'staff,admins'],
    ['one space-separated string', 'staff admins'],
  ])('reads groups given as %s', async (_case, groups) => {
    stack.idp.groups = groups;
    const browser = await stack.signedIn();

    const user = await browser.get(`${stack.publicUrl}/auth/user`, CSRF);
    expect(JSON.parse(user.body)).toMatchObject({ groups: ['staff', 'admins'] });
    expect((await browser.get(`${stack.publicUrl}/admins-only/x`, CSRF)).status).toBe(200);
  });

  it('keeps a one-group string to that group: a groups: [admins] route still answers 403 to "staff"', async () => {
    stack.idp.groups = 'staff';
    const browser = await stack.signedIn();

    expect((await browser.get(`${stack.publicUrl}/admins-only/x`, CSRF)).status).toBe(403);
  });

  it('sends client_id, state and id_token_hint to the end-session endpoint, and the provider returns the browser', async () => {
    const browser = await stack.signedIn();
    const { logoutUrl } = JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { logoutUrl: string };
    const logout = await browser.get(`${stack.publicUrl}${logoutUrl}`);

    const endSession = new URL(logout.location ?? '');
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${stack.idp.issuer}/logout`);
    expect(endSession.searchParams.get('client_id')).toBe('bff');
    expect(endSession.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    const back = await browser.get(endSession.href);
    expect(back.location).toBe(`${stack.publicUrl}/?state=${endSession.searchParams.get('state')}`);
  });
});
