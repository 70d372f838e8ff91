import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';
import { sendRaw } from '../support/raw-http';
import { startTestApp } from '../support/test-app';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
const SPA_DIR = resolve(__dirname, '../../examples/spa');

type HeaderSource = Headers | Readonly<Record<string, string | string[] | undefined>>;

function header(source: HeaderSource, name: string): string | undefined {
  if (source instanceof Headers) return source.get(name) ?? undefined;
  const value = source[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function expectOwnSecurityHeaders(source: HeaderSource): void {
  expect(header(source, 'x-frame-options')).toBe('DENY');
  expect(header(source, 'x-content-type-options')).toBe('nosniff');
  expect(header(source, 'referrer-policy')).toBe('same-origin');
  const csp = header(source, 'content-security-policy') ?? '';
  for (const directive of ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "script-src 'self'", "base-uri 'self'"]) {
    expect(csp).toContain(directive);
  }
}

describe('security headers on the BFF’s own responses', () => {
  let stack: LoginStack;
  let upstream: EchoUpstream;
  let ownHeaders: Server;
  let routesFile: string;
  let alice: TestBrowser;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    ownHeaders = createServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/html',
        'content-security-policy': "default-src 'none'; frame-ancestors https://partner.example",
        'x-frame-options': 'SAMEORIGIN',
        'cache-control': 'public, max-age=60',
      });
      response.end('<p>upstream page</p>');
    });
    const port = await listenOnLoopback(ownHeaders, 0);
    routesFile = join(tmpdir(), `bff-headers-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(routesFile, `routes:\n  - path: /own-headers\n    upstream: http://127.0.0.1:${port}\n    auth: none\n`);
    stack = await startLoginStack({ UPSTREAM_URL: upstream.url, ROUTES_FILE: routesFile, SPA_DIR });
    alice = await stack.signedIn('alice');
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.stop();
    await closeServer(ownHeaders);
    rmSync(routesFile, { force: true });
  });

  const url = (path: string) => `${stack.publicUrl}${path}`;

  it('protects the BFF’s pages and JSON against framing, sniffing and foreign scripts, on both listeners', async () => {
    const responses = [
      await fetch(url('/auth/login'), { redirect: 'manual' }),
      await fetch(url('/auth/user'), { headers: CSRF }),
      await fetch(url('/auth/nowhere')),
      await fetch(url('/'), { headers: { accept: 'text/html' } }),
      await fetch(`${stack.app.adminUrl}/healthz`),
      await stack.app.admin('/consumers'),
      await fetch(`${stack.app.adminUrl}/consumers`),
    ];
    for (const response of responses) expectOwnSecurityHeaders(response.headers);
    const csp = responses[0]?.headers.get('content-security-policy') ?? '';
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(responses.some((response) => response.headers.has('strict-transport-security'))).toBe(false);
  });

  it('marks every /auth response no-store, successes and errors alike', async () => {
    const logoutUrl = (JSON.parse((await alice.get(url('/auth/user'), CSRF)).body) as { logoutUrl: string }).logoutUrl;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const cases: [string, () => Promise<{ status: number; headers: HeaderSource }>][] = [
      ['login redirect', () => fetch(url('/auth/login?returnTo=/x'), { redirect: 'manual' })],
      ['login with a bad returnTo', () => fetch(url('/auth/login?returnTo=//evil.example'), { redirect: 'manual' })],
      ['callback with an unknown state', () => fetch(url('/auth/callback?state=nope&code=x'), { redirect: 'manual' })],
      ['form_post callback without state', () => fetch(url('/auth/callback'), { method: 'POST', headers: form, body: 'code=x' })],
      ['callback with an oversized body', () => fetch(url('/auth/callback'), { method: 'POST', headers: form, body: `code=${'x'.repeat(100_000)}` })],
      ['user', () => alice.get(url('/auth/user'), CSRF)],
      ['user without the CSRF header', () => alice.get(url('/auth/user'))],
      ['user without a session', () => fetch(url('/auth/user'), { headers: CSRF })],
      ['logout with a foreign sid', () => alice.get(url('/auth/logout?sid=not-mine'))],
      ['logout without a session', () => fetch(url(logoutUrl), { redirect: 'manual' })],
      ['back-channel logout with garbage', () => fetch(url('/auth/backchannel-logout'), { method: 'POST', headers: form, body: 'logout_token=x' })],
      ['an unknown /auth path', () => fetch(url('/auth/nowhere'))],
      ['a wrong method', () => fetch(url('/auth/user'), { method: 'DELETE' })],
      ['logout that ends the session', () => alice.get(url(logoutUrl))],
    ];
    for (const [name, send] of cases) {
      const response = await send();
      expect([name, header(response.headers, 'cache-control')]).toEqual([name, 'no-store']);
    }
    const overflow = await sendRaw(stack.publicUrl, `GET /auth/user HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`);
    expect([overflow.status, overflow.headers['cache-control']]).toEqual([431, 'no-store']);
  });

  it('leaves proxied responses with the upstream’s own headers', async () => {
    const own = await fetch(url('/own-headers/page'));
    expect(own.status).toBe(200);
    expect(own.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors https://partner.example");
    expect(own.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(own.headers.get('cache-control')).toBe('public, max-age=60');
    expect(own.headers.has('referrer-policy')).toBe(false);

    const bob = await stack.signedIn('bob');
    const echoed = await bob.get(url('/api/things'), CSRF);
    expect(echoed.status).toBe(200);
    for (const name of ['content-security-policy', 'x-frame-options', 'referrer-policy', 'cross-origin-opener-policy']) {
      expect([name, echoed.headers[name]]).toEqual([name, undefined]);
    }
  });

  it('serves the admin docs page under its own policy: same-origin files only, nothing inline', async () => {
    const docs = await stack.app.admin('/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(docs.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(docs.headers.get('x-frame-options')).toBe('DENY');
    const html = await docs.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('serves the example SPA under a policy it satisfies: no inline scripts or handlers, only same-origin files', async () => {
    const page = await fetch(url('/'), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    for (const [, reference] of html.matchAll(/\b(?:src|href)="([^"]+)"/g)) {
      const target = new URL(reference ?? '', stack.publicUrl);
      expect(target.protocol === 'data:' || target.origin === stack.publicUrl).toBe(true);
    }
  });

  it('sends HSTS and asks to upgrade requests only when PUBLIC_URL is https', async () => {
    const secure = await startTestApp({ PUBLIC_URL: 'https://app.example.test' }, { database: stack.app.database });
    try {
      for (const response of [await fetch(`${secure.adminUrl}/healthz`), await fetch(`${secure.browserUrl}/auth/user`, { headers: CSRF })]) {
        expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
        expect(response.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
        expectOwnSecurityHeaders(response.headers);
      }
    } finally {
      await secure.close();
    }
  });
});
