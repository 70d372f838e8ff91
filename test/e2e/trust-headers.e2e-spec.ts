import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startCgiUpstream, type CgiEcho, type CgiUpstream } from '../support/cgi-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { sendRaw } from '../support/raw-http';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
const SPOOFED = {
  X_Consumer_ID: 'spoofed-consumer',
  X_Consumer_Username: 'spoofed-user',
  X_Authenticated_Groups: 'admins',
  X_Credential_Identifier: 'spoofed-credential',
  x_forwarded_for: '10.6.6.6',
  X_Real_IP: '10.6.6.6',
  X_User_Email: 'spoofed@example.test',
};

describe('identity headers against a CGI-style upstream (wsgiref reads _ as -)', () => {
  let stack: LoginStack;
  let cgi: CgiUpstream;
  let routesFile: string;
  let bob: TestBrowser;
  let alice: TestBrowser;

  beforeAll(async () => {
    cgi = await startCgiUpstream();
    routesFile = join(tmpdir(), `bff-cgi-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(
      routesFile,
      [
        'routes:',
        `  - { path: /open, upstream: "${cgi.url}", auth: none }`,
        `  - { path: /app, upstream: "${cgi.url}", auth: session }`,
        `  - { path: /staff, upstream: "${cgi.url}/staff", auth: session, groups: [admins] }`,
        '',
      ].join('\n'),
    );
    stack = await startLoginStack({ ROUTES_FILE: routesFile, UPSTREAM_HEADERS: 'email:X-User-Email' });
    [bob, alice] = [await stack.signedIn('bob'), await stack.signedIn('alice')];
  });
  afterAll(async () => {
    await stack.stop();
    await cgi.stop();
    rmSync(routesFile, { force: true });
  });

  const url = (path: string) => `${stack.publicUrl}${path}`;
  const echoOf = async (response: Response | { body: string }): Promise<CgiEcho> =>
    (response instanceof Response ? await response.json() : JSON.parse(response.body)) as CgiEcho;

  it('gives an anonymous caller on an auth: none route none of the identities or groups it names', async () => {
    const admin = await fetch(url('/open/admin'), { headers: SPOOFED });
    expect(admin.status).toBe(403);
    expect(await admin.json()).toEqual({ error: 'not an admin' });

    const { http } = await echoOf(await fetch(url('/open/whoami'), { headers: SPOOFED }));
    for (const name of ['HTTP_X_CONSUMER_ID', 'HTTP_X_CONSUMER_USERNAME', 'HTTP_X_AUTHENTICATED_GROUPS', 'HTTP_X_CREDENTIAL_IDENTIFIER', 'HTTP_X_REAL_IP', 'HTTP_X_USER_EMAIL']) {
      expect([name, http[name]]).toEqual([name, undefined]);
    }
    expect(http['HTTP_X_FORWARDED_FOR']).toBe('127.0.0.1');
    expect(JSON.stringify(http)).not.toContain('spoofed');
  });

  it('gives a signed-in user exactly his own identity and groups, whatever he adds', async () => {
    expect((await bob.get(url('/app/admin'), { ...CSRF, ...SPOOFED })).status).toBe(403);
    const { http } = await echoOf(await bob.get(url('/app/whoami'), { ...CSRF, ...SPOOFED }));
    expect(http['HTTP_X_AUTHENTICATED_GROUPS']).toBe('users');
    expect(http['HTTP_X_CREDENTIAL_IDENTIFIER']).toBe('user-bob');
    expect(http['HTTP_X_USER_EMAIL']).toBe('bob@example.test');
    expect(http['HTTP_X_CONSUMER_ID']).toBeUndefined();
    expect(JSON.stringify(http)).not.toContain('spoofed');
    // The route works for the one it is meant for.
    const allowed = await alice.get(url('/app/admin'), CSRF);
    expect([allowed.status, JSON.parse(allowed.body)]).toEqual([200, { secret: 'admin data' }]);
  });

  it('lets nothing of any spelling of a protected header reach the upstream', async () => {
    const protectedNames = ['x-consumer-id', 'x-authenticated-groups', 'x-credential-identifier', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'x-user-email', 'x-consumer-custom-id'];
    const spelling = fc.constantFrom(...protectedNames).chain((name) =>
      fc.tuple(...[...name].map((char) => (char === '-' ? fc.constantFrom('-', '_') : fc.constantFrom(char, char.toUpperCase())))).map((chars) => chars.join('')),
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(spelling, { minLength: 1, maxLength: 4 }), async (names) => {
        const marker = `m${randomBytes(6).toString('hex')}`;
        const headers = Object.fromEntries(names.map((name) => [name, marker]));
        const { http } = await echoOf(await bob.get(url('/app/whoami'), { ...CSRF, ...headers }));
        expect(JSON.stringify(http)).not.toContain(marker);
      }),
      { numRuns: 40 },
    );
  });

  it('lets no client header re-route or re-method a call after the route was chosen, in any spelling', async () => {
    // The control: bob is kept out of /staff by its route's groups, and the upstream trusts that.
    expect((await bob.get(url('/staff/report'), CSRF)).status).toBe(403);
    for (const name of ['X-Original-URL', 'X-Rewrite-URL', 'X-Override-URL']) {
      for (const spelling of spellingsOf(name)) {
        for (const path of ['/app/whoami', '/open/whoami']) {
          const echo = await echoOf(await bob.get(url(path), { ...CSRF, [spelling]: '/staff/report' }));
          expect([spelling, path, echo]).toEqual([spelling, path, expect.objectContaining({ method: 'GET', path: '/whoami' })]);
          expect(JSON.stringify(echo.http)).not.toContain('/staff');
        }
      }
    }
    for (const name of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
      for (const spelling of spellingsOf(name)) {
        const echo = await echoOf(await bob.get(url('/app/whoami'), { ...CSRF, [spelling]: 'DELETE' }));
        expect([spelling, echo.method, JSON.stringify(echo.http)]).toEqual([spelling, 'GET', expect.not.stringContaining('DELETE')]);
      }
    }
  });

  it('drops other headers whose name holds _, and keeps ordinary ones', async () => {
    const { http } = await echoOf(await fetch(url('/open/whoami'), { headers: { X_Tenant: 'evil', 'X-Tenant': 'good', Accept_Language: 'xx' } }));
    expect(http['HTTP_X_TENANT']).toBe('good');
    expect(http['HTTP_ACCEPT_LANGUAGE']).not.toBe('xx');
  });

  it('removes an upstream’s Set-Cookie for the session and login cookies, and keeps its own', async () => {
    const response = await fetch(url('/open/set-cookie'));
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(['upstream-pref=kept; Path=/']);
  });

  it.each(['TRACE', 'TRACK'])('answers %s with 405 JSON and forwards nothing', async (method) => {
    const raw = await sendRaw(stack.publicUrl, `${method} /open/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(raw.status).toBe(405);
    expect(JSON.parse(raw.body)).toMatchObject({ error: 'method_not_allowed' });
    expect(raw.headers['x-content-type-options']).toBe('nosniff');
    expect(raw.body).not.toContain('HTTP_');
  });

  it('answers CONNECT with 405 instead of opening a tunnel', async () => {
    const raw = await sendRaw(stack.publicUrl, `CONNECT ${new URL(cgi.url).host} HTTP/1.1\r\nHost: ${new URL(cgi.url).host}\r\n\r\n`);
    expect(raw.status).toBe(405);
    expect(raw.closedByServer).toBe(true);
  });

  it('marks its own JSON errors on proxied routes nosniff and no-store', async () => {
    for (const response of [await fetch(url('/app/whoami'), { headers: CSRF }), await fetch(url('/app/a;b'))]) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });
});

/** The spellings one upstream or another reads as the same header: any case, `_` for `-`. */
function spellingsOf(name: string): string[] {
  const mixed = [...name].map((char, index) => (index % 2 === 0 ? char.toLowerCase() : char.toUpperCase())).join('');
  return [name, name.toLowerCase(), name.toUpperCase(), mixed, name.replaceAll('-', '_'), name.toLowerCase().replaceAll('-', '_')];
}
