import { startLoginStack, type LoginStack } from '../support/login-stack';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };

describe('front-channel logout', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function userOf(browser: TestBrowser): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await browser.get(`${stack.publicUrl}/auth/user`, CSRF);
    return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
  }

  async function sidOf(browser: TestBrowser): Promise<string> {
    const { body } = await userOf(browser);
    return String((body['claims'] as { sid?: string }).sid);
  }

  function frontchannel(query: string): Promise<Response> {
    return fetch(`${stack.publicUrl}/auth/frontchannel-logout${query}`);
  }

  /** Two BFF sessions from one IdP session (same sid): the browser signs in again after losing its session cookie. */
  async function twoSessionsOfOneIdpSession(username: string): Promise<{ browser: TestBrowser; first: string; second: string }> {
    const browser = await stack.signedIn(username);
    const first = browser.cookies(stack.publicUrl)['bff-session'];
    browser.jar.store(new URL(stack.publicUrl), ['bff-session=; Path=/; Max-Age=0']);
    await browser.loginWithForm(`${stack.publicUrl}/auth/login`, username, `${username}-password`);
    const second = browser.cookies(stack.publicUrl)['bff-session'];
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    return { browser, first, second };
  }

  async function statusWith(sessionId: string): Promise<{ status: number; error: unknown }> {
    const response = await fetch(`${stack.publicUrl}/auth/user`, { headers: { ...CSRF, cookie: `bff-session=${sessionId}` } });
    return { status: response.status, error: ((await response.json()) as { error?: unknown }).error };
  }

  it('ends every session of the sid and answers a no-store page only the issuer may frame', async () => {
    const { browser, first, second } = await twoSessionsOfOneIdpSession('alice');
    const sid = await sidOf(browser);
    const bystander = await stack.signedIn('bob');

    const response = await frontchannel(`?iss=${encodeURIComponent(stack.idp.issuer)}&sid=${encodeURIComponent(sid)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toBe(`default-src 'none'; frame-ancestors ${new URL(stack.idp.issuer).origin}`);
    expect(response.headers.get('x-frame-options')).toBeNull();
    expect((await response.text()).length).toBeLessThan(300);

    for (const sessionId of [first, second]) expect(await statusWith(sessionId)).toEqual({ status: 401, error: 'session_revoked' });
    expect((await userOf(bystander)).status).toBe(200);

    // The same request again finds nothing to end.
    expect((await frontchannel(`?iss=${encodeURIComponent(stack.idp.issuer)}&sid=${encodeURIComponent(sid)}`)).status).toBe(400);
  });

  it.each([
    ['no iss', (sid: string) => `?sid=${sid}`, 'frontchannel_iss_invalid'],
    ['another issuer', (sid: string) => `?iss=${encodeURIComponent('https://evil.example')}&sid=${sid}`, 'frontchannel_iss_invalid'],
    ['the issuer with a trailing slash', (sid: string, iss: string) => `?iss=${encodeURIComponent(`${iss}/`)}&sid=${sid}`, 'frontchannel_iss_invalid'],
    ['iss twice', (sid: string, iss: string) => `?iss=${encodeURIComponent(iss)}&iss=${encodeURIComponent(iss)}&sid=${sid}`, 'frontchannel_iss_invalid'],
    ['no sid', (_sid: string, iss: string) => `?iss=${encodeURIComponent(iss)}`, 'frontchannel_sid_invalid'],
    ['an empty sid', (_sid: string, iss: string) => `?iss=${encodeURIComponent(iss)}&sid=`, 'frontchannel_sid_invalid'],
    ['an unknown sid', (_sid: string, iss: string) => `?iss=${encodeURIComponent(iss)}&sid=no-such-sid`, 'frontchannel_sid_invalid'],
    ['sid twice', (sid: string, iss: string) => `?iss=${encodeURIComponent(iss)}&sid=${sid}&sid=${sid}`, 'frontchannel_sid_invalid'],
    ['an overlong sid', (sid: string, iss: string) => `?iss=${encodeURIComponent(iss)}&sid=${sid}${'x'.repeat(300)}`, 'frontchannel_sid_invalid'],
  ])('refuses %s with 400 and ends nothing', async (_case, query, error) => {
    const browser = await stack.signedIn('carol');
    const sid = await sidOf(browser);
    const response = await frontchannel(query(encodeURIComponent(sid), stack.idp.issuer));
    expect(response.status).toBe(400);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(await response.json()).toMatchObject({ error });
    expect((await userOf(browser)).status).toBe(200);
  });
});
