import { startLoginStack, type LoginStack } from '../support/login-stack';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };

describe('logout, back-channel logout and admin revocation', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack({ CONSUMER_OPTIONAL: 'false', CONSUMER_AUTO_CREATE: 'true' });
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function userOf(browser: TestBrowser) {
    const response = await browser.get(`${stack.publicUrl}/auth/user`, CSRF);
    return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
  }

  it('refuses a logout without sid or with a sid that is not the session\'s, and keeps the session', async () => {
    const browser = await stack.signedIn('alice');
    for (const query of ['', '?sid=', '?sid=someone-elses-sid']) {
      const response = await browser.get(`${stack.publicUrl}/auth/logout${query}`);
      expect([query, response.status]).toEqual([query, 400]);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'sid_mismatch' });
    }
    expect((await userOf(browser)).status).toBe(200);
  });

  it('ends the session, revokes the refresh token and sends the browser to the IdP to end its session too', async () => {
    const browser = await stack.signedIn('alice');
    const { body } = await userOf(browser);
    const sessionId = sessionIdOf(browser);
    expect(sessionId).toMatch(/^[\w-]{43}$/);
    stack.idp.resetCounters();
    const response = await browser.get(`${stack.publicUrl}${String(body['logoutUrl'])}`);
    expect(response.status).toBe(302);
    const endSession = new URL(response.location!);
    expect(endSession.origin).toBe(stack.idp.issuer);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.publicUrl}/`);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(response.setCookies.some((cookie) => /^bff-session=;.*Max-Age=0/.test(cookie))).toBe(true);
    expect(stack.idp.counters.revocations).toBe(1);
    const after = await fetch(`${stack.publicUrl}/auth/user`, { headers: { ...CSRF, cookie: `bff-session=${sessionId}` } });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: 'session_revoked' });
  });

  it('sends a browser without a session straight to POST_LOGOUT_REDIRECT_URI', async () => {
    const response = await stack.browser().get(`${stack.publicUrl}/auth/logout?sid=anything`);
    expect(response.status).toBe(302);
    expect(response.location).toBe(`${stack.publicUrl}/`);
  });

  it('ends every session of the user named by a valid back-channel logout token, once', async () => {
    const first = await stack.signedIn('bob');
    const second = await stack.signedIn('bob');
    const token = await stack.idp.signLogoutToken({ sub: 'user-bob' });
    const post = () =>
      fetch(`${stack.publicUrl}/auth/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }),
      });
    const response = await post();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    for (const browser of [first, second]) {
      const user = await userOf(browser);
      expect(user.status).toBe(401);
      expect(user.body).toMatchObject({ error: 'session_revoked' });
    }
    expect((await post()).status).toBe(400);
  });

  it('ends only the session named by sid in a back-channel logout token', async () => {
    const target = await stack.signedIn('carol');
    const bystander = await stack.signedIn('carol');
    const claims = (await userOf(target)).body['claims'] as { sid?: string };
    expect(claims.sid).toEqual(expect.any(String));
    const token = await stack.idp.signLogoutToken({ sid: claims.sid });
    const response = await fetch(`${stack.publicUrl}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    });
    expect(response.status).toBe(200);
    expect((await userOf(target)).status).toBe(401);
    expect((await userOf(bystander)).status).toBe(200);
  });

  it.each([
    ['no token', undefined],
    ['garbage', 'not-a-jwt'],
    ['a token for another audience', { claims: { sub: 'user-alice' }, options: { audience: 'someone-else' } }],
    ['a token with a nonce', { claims: { sub: 'user-alice', nonce: 'n' } }],
    ['a token without the logout event', { claims: { sub: 'user-alice', events: {} } }],
    ['a token without sub or sid', { claims: {} }],
    ['an expired token', { claims: { sub: 'user-alice', iat: 1_700_000_000, exp: 1_700_000_100 } }],
    ['a token signed by another key', { claims: { sub: 'user-alice' }, options: { signedBy: 'stranger' as const } }],
  ])('refuses a back-channel logout with %s with 400', async (_case, input) => {
    const browser = await stack.signedIn('alice');
    let logoutToken: string | undefined;
    if (typeof input === 'string') logoutToken = input;
    else if (input) logoutToken = await stack.idp.signLogoutToken(input.claims, 'options' in input ? input.options : {});
    const response = await fetch(`${stack.publicUrl}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(logoutToken ? { logout_token: logoutToken } : {}),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_logout_token' });
    expect((await userOf(browser)).status).toBe(200);
  });

  it("lists a consumer's sessions by handle and ends them all through the admin API", async () => {
    const browser = await stack.signedIn('alice');
    const sessionId = sessionIdOf(browser);
    const consumer = (await (await stack.app.admin('/consumers?custom_id=user-alice')).json()) as { data: { id: string }[] };
    expect(consumer.data).toHaveLength(1);
    const listing = await stack.app.admin(`/consumers/${consumer.data[0].id}/sessions`);
    expect(listing.status).toBe(200);
    const text = await listing.text();
    expect(text).not.toContain(sessionId);
    const sessions = (JSON.parse(text) as { data: Record<string, unknown>[] }).data;
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    expect(sessions[0]).toEqual({
      id: expect.any(String) as unknown,
      created_at: expect.any(String) as unknown,
      last_seen_at: expect.any(String) as unknown,
      expires_at: expect.any(String) as unknown,
      user_agent: null,
      device_bound: false,
    });
    expect((await stack.app.admin(`/consumers/${consumer.data[0].id}/sessions`, { method: 'DELETE' })).status).toBe(204);
    const user = await userOf(browser);
    expect(user.body).toMatchObject({ error: 'session_revoked' });
    expect((await stack.app.admin('/consumers/nobody-here/sessions')).status).toBe(404);
  });

  it("ends a consumer's sessions when the consumer is deleted", async () => {
    const browser = await stack.signedIn('bob');
    const consumer = (await (await stack.app.admin('/consumers?custom_id=user-bob')).json()) as { data: { id: string }[] };
    expect((await stack.app.admin(`/consumers/${consumer.data[0].id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await userOf(browser)).body).toMatchObject({ error: 'session_revoked' });
  });
});

function sessionIdOf(browser: TestBrowser): string {
  return browser.cookies(new URL('http://127.0.0.1').host)['bff-session'] ?? '';
}
