import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACR_PASSWORD, ACR_SECOND_FACTOR, ONE_TIME_CODE } from '../../dev/idp/authentication-levels';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';
import { startApp } from '../../src/app';
import { loadAppConfig } from '../../src/config/app-config';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { baseEnv } from '../support/test-env';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
const MAX_AGE = 5;
const SECOND_FACTOR = encodeURIComponent(ACR_SECOND_FACTOR);

/** An upstream that refuses every call with the WWW-Authenticate challenge named in its query (`?www=`). */
async function startChallengeUpstream(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const challenge = new URL(req.url ?? '/', 'http://upstream').searchParams.get('www') ?? 'Bearer';
    req.resume();
    res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json', 'x-upstream': 'yes' });
    res.end('{"upstream":"refused"}');
  });
  return { url: `http://127.0.0.1:${await listenOnLoopback(server, 0)}`, server };
}

describe('step-up authentication (RFC 9470)', () => {
  let stack: LoginStack;
  let echo: EchoUpstream;
  let challenger: { url: string; server: Server };
  let routesFile: string;

  beforeAll(async () => {
    echo = await startEchoUpstream();
    challenger = await startChallengeUpstream();
    routesFile = join(tmpdir(), `bff-step-up-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(
      routesFile,
      `routes:
  - { path: /mfa, upstream: "${echo.url}", acr: ["${ACR_SECOND_FACTOR}"] }
  - { path: /fresh, upstream: "${echo.url}", auth: session, max_age: ${MAX_AGE} }
  - { path: /plain, upstream: "${echo.url}" }
  - { path: /challenge, upstream: "${challenger.url}" }
`,
    );
    stack = await startLoginStack({ ROUTES_FILE: routesFile, RATE_LIMIT_LOGIN: 'off' });
  });
  afterAll(async () => {
    await stack.stop();
    await echo.stop();
    await closeServer(challenger.server);
    rmSync(routesFile, { force: true });
  });

  async function call(browser: TestBrowser, path: string, page = '/reports') {
    const response = await browser.get(`${stack.publicUrl}${path}`, { ...CSRF, referer: `${stack.publicUrl}${page}` });
    return { status: response.status, headers: response.headers, body: JSON.parse(response.body) as Record<string, unknown> };
  }

  async function claimsOf(browser: TestBrowser): Promise<Record<string, unknown>> {
    const user = JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { claims: Record<string, unknown> };
    return user.claims;
  }

  it('gives a password-only session a 401 step_up_required with a login_url, and forwards nothing', async () => {
    const browser = await stack.signedIn('alice');
    expect(await claimsOf(browser)).toMatchObject({ acr: ACR_PASSWORD, auth_time: expect.any(Number) as unknown });
    const forwarded = echo.requests.length;
    const refused = await call(browser, '/mfa/orders');
    expect(refused.status).toBe(401);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(refused.body).toEqual({
      error: 'step_up_required',
      message: expect.any(String) as unknown,
      login_url: `/auth/login?returnTo=%2Freports&acr_values=${SECOND_FACTOR}`,
    });
    expect(echo.requests.length).toBe(forwarded);
    expect((await call(browser, '/plain')).status).toBe(200);
  });

  it('steps up through login_url: the IdP asks for the second factor, the new session replaces the old and the route forwards', async () => {
    const browser = await stack.signedIn('bob');
    const oldSession = browser.cookies(stack.publicUrl)['bff-session'];
    const { body } = await call(browser, '/mfa/orders');
    const loginUrl = `${stack.publicUrl}${String(body['login_url'])}`;

    const withoutCode = await browser.loginWithForm(loginUrl, 'bob', 'bob-password');
    expect(withoutCode.response.body).toContain('name="otp"');
    expect(withoutCode.response.body).toContain('Invalid username, password or one-time code.');

    const stepped = await browser.loginWithForm(loginUrl, 'bob', 'bob-password', { otp: ONE_TIME_CODE });
    expect(stepped.response.url).toBe(`${stack.publicUrl}/reports`);
    const newSession = browser.cookies(stack.publicUrl)['bff-session'];
    expect(newSession).not.toBe(oldSession);
    expect(await claimsOf(browser)).toMatchObject({ acr: ACR_SECOND_FACTOR, amr: ['pwd', 'otp'] });
    const forwarded = await call(browser, '/mfa/orders');
    expect(forwarded.status).toBe(200);
    expect(forwarded.body).toMatchObject({ path: '/orders' });

    const old = await fetch(`${stack.publicUrl}/auth/user`, { headers: { ...CSRF, cookie: `bff-session=${oldSession}` } });
    expect(old.status).toBe(401);
  });

  it('answers a silent step-up on a password-only IdP session with bff_error=login_required', async () => {
    const browser = await stack.signedIn('carol');
    const done = await browser.follow(await browser.get(`${stack.publicUrl}/auth/login?prompt=none&acr_values=${SECOND_FACTOR}&returnTo=/p`));
    expect(done.response.url).toBe(`${stack.publicUrl}/p?bff_error=login_required`);
    expect((await claimsOf(browser))['acr']).toBe(ACR_PASSWORD);
  });

  it(`asks a session older than max_age to sign in again, and forwards after a fresh login`, async () => {
    const browser = await stack.signedIn('alice');
    expect((await call(browser, '/fresh/x')).status).toBe(200);
    await sleep((MAX_AGE + 1.2) * 1000);
    const stale = await call(browser, '/fresh/x', '/dash');
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ error: 'step_up_required', login_url: `/auth/login?returnTo=%2Fdash&max_age=${MAX_AGE}` });

    // The IdP session is as old as the BFF's: max_age makes the IdP show its form again.
    const again = await browser.loginWithForm(`${stack.publicUrl}${String(stale.body['login_url'])}`, 'alice', 'alice-password');
    expect(again.visited.some((url) => url.includes('/interaction/'))).toBe(true);
    expect(again.response.url).toBe(`${stack.publicUrl}/dash`);
    expect((await call(browser, '/fresh/x')).status).toBe(200);
  });

  it('turns an upstream\'s insufficient_user_authentication challenge to a session caller into step_up_required', async () => {
    const browser = await stack.signedIn('bob');
    const www = `Basic realm="legacy", Bearer realm="api", error="insufficient_user_authentication", acr_values="${ACR_SECOND_FACTOR} urn:other", max_age=60`;
    const refused = await call(browser, `/challenge/x?www=${encodeURIComponent(www)}`, '/orders?page=2');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBeUndefined();
    expect(refused.headers['x-upstream']).toBeUndefined();
    expect(refused.body).toEqual({
      error: 'step_up_required',
      message: expect.any(String) as unknown,
      login_url: `/auth/login?returnTo=%2Forders%3Fpage%3D2&acr_values=${SECOND_FACTOR}%20urn%3Aother&max_age=60`,
    });
    // The connection to the upstream stays usable after its body was dropped.
    expect((await call(browser, `/challenge/x?www=${encodeURIComponent(www)}`)).status).toBe(401);
  });

  it('passes an upstream\'s other 401s to a session caller unchanged', async () => {
    const browser = await stack.signedIn('bob');
    const refused = await call(browser, `/challenge/x?www=${encodeURIComponent('Bearer error="invalid_token"')}`);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(refused.body).toEqual({ upstream: 'refused' });
  });

  it('passes an upstream\'s insufficient_user_authentication challenge to a bearer caller unchanged', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken();
    const www = 'Bearer error="insufficient_user_authentication", acr_values="urn:x"';
    const response = await fetch(`${stack.publicUrl}/challenge/x?www=${encodeURIComponent(www)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(www);
    expect(await response.json()).toEqual({ upstream: 'refused' });
  });

  it('refuses a token without the route\'s acr with RFC 9470\'s challenge, and forwards nothing', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken();
    const forwarded = echo.requests.length;
    const response = await fetch(`${stack.publicUrl}/mfa/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      new RegExp(`^Bearer error="insufficient_user_authentication", .*acr_values="${ACR_SECOND_FACTOR}"$`),
    );
    expect(await response.json()).toMatchObject({ error: 'insufficient_user_authentication' });
    expect(echo.requests.length).toBe(forwarded);
  });

  it('refuses to start when a route\'s step-up needs a login parameter LOGIN_FORWARD_PARAMS leaves out', async () => {
    const loaded = loadAppConfig(baseEnv({ ROUTES_FILE: routesFile, LOGIN_FORWARD_PARAMS: 'prompt' }));
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    await expect(startApp(loaded.config)).rejects.toMatchObject({
      problems: [
        'ROUTES_FILE route /mfa: acr needs acr_values in LOGIN_FORWARD_PARAMS',
        'ROUTES_FILE route /fresh: max_age needs max_age in LOGIN_FORWARD_PARAMS',
      ],
    });
  });
});
