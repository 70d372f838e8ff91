import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwtPayload } from '../../src/identity/claims';
import { SessionStore } from '../../src/session/session.store';
import type { EchoBody } from '../support/echo-upstream';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { JSON_ACCEPT, type TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
const ENV = { OIDC_USERINFO: 'true', UPSTREAM_HEADERS: 'email:X-User-Email', RATE_LIMIT_LOGIN: '1000/60' };

/** Logs in as `username` and says how it ended: the final status, and whether a session cookie came of it. */
async function tryLogin(stack: ProxyStack, username: string): Promise<{ status: number; body: string; session: boolean; browser: TestBrowser }> {
  // The failures are read as the contract's JSON (a browser's navigation would get the HTML page instead).
  const browser = stack.browser({ accept: JSON_ACCEPT });
  const { response } = await browser.loginWithForm(`${stack.publicUrl}/auth/login`, username, `${username}-password`);
  return { status: response.status, body: response.body, session: browser.cookies(stack.publicUrl)['bff-session'] !== undefined, browser };
}

async function call(stack: ProxyStack, browser: TestBrowser, path: string) {
  const response = await fetch(`${stack.publicUrl}${path}`, { headers: { ...CSRF, cookie: browser.cookieHeader(stack.publicUrl) ?? '' } });
  return { status: response.status, body: (await response.json()) as EchoBody & { error?: string } };
}

describe('claims from the userinfo endpoint (OIDC_USERINFO)', () => {
  let stack: ProxyStack;

  beforeAll(async () => {
    // Okta's org authorization server: groups only at userinfo, never in the ID token.
    stack = await startProxyStack(ENV, { thinIdTokens: true });
  });
  afterAll(async () => {
    await stack.stop();
  });
  afterEach(() => {
    stack.idp.userinfoFault = undefined;
  });

  it('fills in the groups the ID token lacks: route ACLs, X-Authenticated-Groups and /auth/user honour them', async () => {
    const alice = await stack.signedIn('alice');
    const allowed = await call(stack, alice, '/admins-only/x');
    expect(allowed.status).toBe(200);
    expect(allowed.body.headers).toMatchObject({ 'x-authenticated-groups': 'admins, users', 'x-user-email': 'alice@example.test' });
    const bob = await stack.signedIn('bob');
    expect(await call(stack, bob, '/admins-only/x')).toMatchObject({ status: 403, body: { error: 'insufficient_groups' } });
    const user = JSON.parse((await alice.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { groups: string[]; claims: Record<string, unknown> };
    expect(user.groups).toEqual(['admins', 'users']);
    expect(user.claims).toMatchObject({ sub: 'user-alice', groups: ['admins', 'users'], name: 'Alice Admin' });
    // The groups came from userinfo alone: the ID token the session holds has none.
    const lookup = await stack.app.app.get(SessionStore).lookup(alice.cookies(stack.publicUrl)['bff-session'] ?? '');
    if (lookup.status !== 'active') throw new Error('no session');
    expect(decodeJwtPayload(lookup.session.contents.idToken)).not.toHaveProperty('groups');
  });

  it('fails the login with 401 and no session when userinfo names another subject than the ID token', async () => {
    stack.idp.userinfoFault = 'wrong_sub';
    const login = await tryLogin(stack, 'bob');
    expect([login.status, login.session]).toEqual([401, false]);
    expect(JSON.parse(login.body)).toMatchObject({ error: 'userinfo_rejected' });
  });

  it('fails the login with 503 and no session while the userinfo endpoint is down', async () => {
    stack.idp.userinfoFault = 'down';
    const login = await tryLogin(stack, 'carol');
    expect([login.status, login.session]).toEqual([503, false]);
    expect(JSON.parse(login.body)).toMatchObject({ error: 'idp_unavailable' });
  });
});

describe('claims from the userinfo endpoint after each refresh', () => {
  // Access tokens live 12 s and are refreshed when they expire within 10 s: due two seconds after they are issued.
  const DUE_AFTER_MS = 2_200;
  let stack: ProxyStack;

  beforeAll(async () => {
    stack = await startProxyStack({ ...ENV, TOKEN_REFRESH_SKEW: '10' }, { thinIdTokens: true, accessTokenTtlSeconds: 12 });
  });
  afterAll(async () => {
    await stack.stop();
  });
  afterEach(() => {
    stack.idp.userinfoFault = undefined;
  });

  it('asks userinfo again after a refresh, so a change of groups at the IdP applies', async () => {
    const bob = await stack.signedIn('bob');
    expect((await call(stack, bob, '/admins-only/x')).status).toBe(403);
    stack.idp.setGroupsOf('user-bob', ['admins']);
    try {
      await sleep(DUE_AFTER_MS);
      stack.idp.resetCounters();
      const after = await call(stack, bob, '/admins-only/x');
      expect(after.status).toBe(200);
      expect(after.body.headers['x-authenticated-groups']).toBe('admins');
      expect([stack.idp.counters.refreshToken, stack.idp.counters.userinfoRequests]).toEqual([1, 1]);
    } finally {
      stack.idp.setGroupsOf('user-bob', ['users']);
    }
  });

  it('keeps the session and its claims when userinfo is down after a refresh', async () => {
    const alice = await stack.signedIn('alice');
    stack.idp.userinfoFault = 'down';
    await sleep(DUE_AFTER_MS);
    stack.idp.resetCounters();
    const during = await call(stack, alice, '/admins-only/x');
    expect([during.status, during.body.headers['x-authenticated-groups']]).toEqual([200, 'admins, users']);
    expect([stack.idp.counters.refreshToken, stack.idp.counters.userinfoRequests]).toEqual([1, 1]);
  });

  it('ends the session (401 refresh_failed) when userinfo names another subject after a refresh', async () => {
    const carol = await stack.signedIn('carol');
    stack.idp.userinfoFault = 'wrong_sub';
    await sleep(DUE_AFTER_MS);
    expect(await call(stack, carol, '/api/x')).toMatchObject({ status: 401, body: { error: 'refresh_failed' } });
    stack.idp.userinfoFault = undefined;
    expect((await call(stack, carol, '/api/x')).status).toBe(401);
  });
});
