import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startExpressUpstream, type ExpressUpstream } from '../support/express-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { sendRaw } from '../support/raw-http';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };

describe('route choice against an Express upstream (case-insensitive routing)', () => {
  let stack: LoginStack;
  let upstream: ExpressUpstream;
  let routesFile: string;
  let bob: TestBrowser;
  let alice: TestBrowser;

  beforeAll(async () => {
    upstream = await startExpressUpstream();
    routesFile = join(tmpdir(), `bff-paths-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(
      routesFile,
      `routes:
  - { path: /api2/admin, upstream: "${upstream.url}", strip_path: false, auth: session, groups: [admins] }
  - { path: /api2, upstream: "${upstream.url}", strip_path: false, auth: session }
`,
    );
    stack = await startLoginStack({ ROUTES_FILE: routesFile });
    [bob, alice] = [await stack.signedIn('bob'), await stack.signedIn('alice')];
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.stop();
    rmSync(routesFile, { force: true });
  });

  const url = (path: string) => `${stack.publicUrl}${path}`;

  it('serves the admin route to admins only, as spelled', async () => {
    const allowed = await alice.get(url('/api2/admin/secret'), CSRF);
    expect([allowed.status, JSON.parse(allowed.body)]).toEqual([200, { secret: 'admin data' }]);
    const denied = await bob.get(url('/api2/admin/secret'), CSRF);
    expect([denied.status, JSON.parse(denied.body)]).toMatchObject([403, { error: 'insufficient_groups' }]);
  });

  it.each(['/api2/ADMIN/secret', '/API2/Admin/SECRET', '/api2/%41dmin/secret', '/api2/%61dmin/secret', '/api2/x/../ADMIN/secret', '/api2/./admin/secret', '/api2//ADMIN/secret'])(
    'gives bob %s under the admin route’s rules: 403, and Express never asked',
    async (path) => {
      const before = upstream.received.length;
      const response = await bob.get(url(path), CSRF);
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'insufficient_groups' });
      expect(response.body).not.toContain('admin data');
      expect(upstream.received.length).toBe(before);
    },
  );

  it('forwards the path as the client spelled it (Express itself routes it)', async () => {
    const response = await alice.get(url('/api2/ADMIN/secret'), CSRF);
    expect(response.status).toBe(200);
    expect(upstream.received.at(-1)).toBe('/api2/ADMIN/secret');
  });

  it.each(['/api2/admin;x/secret', '/api2;/admin/secret', '/api2/admin%3bx/secret', '/api2/..;/api2/admin/secret'])(
    'refuses the path parameter in %s with 400 JSON, before any upstream contact',
    async (path) => {
      const before = upstream.received.length;
      const raw = await sendRaw(stack.publicUrl, `GET ${path} HTTP/1.1\r\nHost: x\r\nCookie: ${bob.cookieHeader(stack.publicUrl) ?? ''}\r\nX-CSRF: 1\r\nConnection: close\r\n\r\n`);
      expect(raw.status).toBe(400);
      expect(JSON.parse(raw.body)).toMatchObject({ error: 'bad_path' });
      expect(raw.headers['x-content-type-options']).toBe('nosniff');
      expect(upstream.received.length).toBe(before);
    },
  );

  it('never lets any spelling of the admin path reach Express for bob', async () => {
    const spelledChar = (char: string) => {
      const hex = char.charCodeAt(0).toString(16);
      return fc.constantFrom(char, char.toUpperCase(), `%${hex}`, `%${hex.toUpperCase()}`);
    };
    const segment = (name: string) => fc.tuple(...[...name].map(spelledChar)).map((chars) => chars.join(''));
    const spelling = fc
      .tuple(segment('api2'), fc.constantFrom('', './', 'x/../', '/'), segment('admin'), fc.constantFrom('', ';', ';x=1'), segment('secret'))
      .map(([api, detour, admin, params, secret]) => `/${api}/${detour}${admin}${params}/${secret}`);
    await fc.assert(
      fc.asyncProperty(spelling, async (path) => {
        const before = upstream.received.length;
        const raw = await sendRaw(stack.publicUrl, `GET ${path} HTTP/1.1\r\nHost: x\r\nCookie: ${bob.cookieHeader(stack.publicUrl) ?? ''}\r\nX-CSRF: 1\r\nConnection: close\r\n\r\n`);
        expect([400, 403]).toContain(raw.status);
        expect(upstream.received.length).toBe(before);
      }),
      { numRuns: 40 },
    );
  });
});
