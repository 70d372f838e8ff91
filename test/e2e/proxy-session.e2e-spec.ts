import type { EchoBody } from '../support/echo-upstream';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import type { TestBrowser } from '../support/test-browser';
import { keysUnder } from '../support/test-redis';

const CSRF = { 'x-csrf': '1' };

function payload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('proxied API calls with a session cookie', () => {
  let stack: ProxyStack;
  let alice: TestBrowser;
  let bob: TestBrowser;

  beforeAll(async () => {
    stack = await startProxyStack({ UPSTREAM_HEADERS: 'email:X-User-Email,iss:X-Issuer' });
    await stack.app.admin('/consumers', { method: 'POST', body: JSON.stringify({ username: 'alice', custom_id: 'user-alice' }) });
    alice = await stack.signedIn('alice');
    bob = await stack.signedIn('bob');
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function call(browser: TestBrowser, path: string, headers: Record<string, string> = CSRF) {
    const response = await browser.get(`${stack.publicUrl}${path}`, headers);
    return { status: response.status, headers: response.headers, body: JSON.parse(response.body) as EchoBody & Record<string, unknown> };
  }

  it('forwards with the access token and identity headers, and strips the session cookie and spoofed headers', async () => {
    const { status, body } = await call(alice, '/api/things?x=1', {
      ...CSRF,
      'x-consumer-id': 'spoofed',
      'x-authenticated-groups': 'admins',
      'x-user-email': 'spoofed@example.test',
      'x-forwarded-for': '6.6.6.6',
      cookie: `${alice.cookieHeader(stack.publicUrl)}; theme=dark`,
    });
    expect(status).toBe(200);
    expect(body.path).toBe('/things');
    expect(body.query).toEqual({ x: '1' });
    const headers = body.headers;
    expect(headers['authorization']).toMatch(/^Bearer eyJ/);
    expect(payload(String(headers['authorization']).slice(7))).toMatchObject({ sub: 'user-alice', iss: stack.idp.issuer });
    expect(headers['x-consumer-username']).toBe('alice');
    expect(headers['x-consumer-custom-id']).toBe('user-alice');
    expect(headers['x-consumer-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['x-credential-identifier']).toBe('user-alice');
    expect(String(headers['x-authenticated-groups'])).toMatch(/^admins, ?users$/);
    expect(headers['x-user-email']).toBe('alice@example.test');
    expect(headers['x-issuer']).toBe(stack.idp.issuer);
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe(new URL(stack.publicUrl).host);
    expect(String(headers['cookie'])).toMatch(/(^|; )theme=dark$/);
    expect(String(headers['cookie'])).not.toContain('bff-session');
    expect(headers['x-csrf']).toBeUndefined();
  });

  it('keeps the exact tokens the upstream received out of every Redis key and value', async () => {
    const { body } = await call(alice, '/api/whoami');
    const accessToken = String(body.headers['authorization']).slice('Bearer '.length);
    const idToken = String((await call(alice, '/with-id-token/whoami')).body.headers['authorization']).slice('Bearer '.length);
    const { Redis } = await import('ioredis');
    const redis = new Redis(stack.app.env['REDIS_URL']!);
    try {
      for (const key of await keysUnder(stack.app.redisPrefix)) {
        const dump = (await redis.dumpBuffer(key))?.toString('latin1') ?? '';
        for (const secret of [accessToken, idToken, accessToken.split('.')[1], idToken.split('.')[2]]) {
          expect(key).not.toContain(secret);
          expect(dump.includes(secret)).toBe(false);
        }
      }
    } finally {
      redis.disconnect();
    }
  });

  it('answers 403 without the CSRF header and 401 JSON without a session, never a redirect', async () => {
    const noCsrf = await alice.get(`${stack.publicUrl}/api/x`);
    expect(noCsrf.status).toBe(403);
    expect(JSON.parse(noCsrf.body)).toEqual({ error: 'csrf_header_missing', message: expect.any(String) as unknown });
    const anonymous = await stack.browser().get(`${stack.publicUrl}/api/x`, CSRF);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ error: 'not_authenticated', login_url: '/auth/login' });
    expect(stack.upstream.requests.some((request) => request.url === '/x')).toBe(false);
  });

  it('sets X-Forwarded-Host from PUBLIC_URL, never from a client-chosen Host header', async () => {
    const { request } = await import('node:http');
    const target = new URL(`${stack.publicUrl}/api/host-check`);
    const body = await new Promise<EchoBody>((resolve, reject) => {
      const outgoing = request(
        { host: target.hostname, port: target.port, path: target.pathname, headers: { ...CSRF, host: 'evil.example', cookie: alice.cookieHeader(stack.publicUrl) ?? '' } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(JSON.parse(text) as EchoBody));
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    expect(body.headers['x-forwarded-host']).toBe(new URL(stack.publicUrl).host);
  });

  it('answers 401 not_authenticated to a call with neither session cookie nor CSRF header', async () => {
    const response = await fetch(`${stack.publicUrl}/api/anything`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'not_authenticated', login_url: '/auth/login' });
  });

  it('enforces route groups', async () => {
    expect((await call(alice, '/admins-only/report')).status).toBe(200);
    const denied = await call(bob, '/admins-only/report');
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: 'insufficient_groups' });
  });

  it('enforces route scopes and audience for session callers', async () => {
    const scoped = await call(alice, '/orders/1');
    expect(scoped.status).toBe(403);
    expect(scoped.body).toMatchObject({ error: 'insufficient_scope', details: [{ missing_scopes: ['orders:read'] }] });
    const audience = await call(alice, '/aud/x');
    expect(audience.status).toBe(403);
    expect(audience.body).toMatchObject({ error: 'invalid_audience' });
  });

  it('sends the ID token upstream on token: id routes, and keeps the prefix when strip_path is false', async () => {
    const idRoute = await call(alice, '/with-id-token/x');
    expect(payload(String(idRoute.body.headers['authorization']).slice(7))).toMatchObject({ aud: 'bff', nonce: expect.any(String) as unknown });
    expect((await call(alice, '/keep-prefix/a/b')).body.path).toBe('/keep-prefix/a/b');
  });

  it('forwards auth: none routes without identity or session', async () => {
    const response = await fetch(`${stack.publicUrl}/public/hello`, { headers: { 'x-consumer-id': 'spoofed' } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as EchoBody;
    expect(body.headers['x-consumer-id']).toBeUndefined();
  });

  it('refuses session cookies on bearer-only routes with 401', async () => {
    const response = await alice.get(`${stack.publicUrl}/machines/x`, CSRF);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('passes the upstream\'s own errors through unchanged, and maps a dead upstream to 502 and a slow one to 504', async () => {
    const notFound = await call(alice, '/api/status/404');
    expect(notFound.status).toBe(404);
    expect(notFound.body).toEqual({ upstream: true, status: 404 });
    expect((await call(alice, '/api/status/503')).status).toBe(503);
    const down = await call(alice, '/down/x');
    expect(down.status).toBe(502);
    expect(down.body).toMatchObject({ error: 'upstream_unreachable' });
    const slow = await call(alice, '/slow/slow-headers?ms=2000');
    expect(slow.status).toBe(504);
    expect(slow.body).toMatchObject({ error: 'upstream_timeout' });
  });

  it('rejects encoded slashes and backslashes, and applies the target route\'s rules to dot-segments', async () => {
    for (const path of ['/api/..%2fadmins-only', '/api/%2fetc', '/api/a%5cb']) {
      const response = await alice.get(`${stack.publicUrl}${path}`, CSRF);
      expect([path, response.status]).toEqual([path, 400]);
    }
    const aboveRoot = await alice.get(`${stack.publicUrl}/api/%2e%2e/%2e%2e/etc`, CSRF);
    expect([400, 404]).toContain(aboveRoot.status);
    expect(stack.upstream.requests.some((request) => request.url.includes('etc'))).toBe(false);
    const climbed = await bob.get(`${stack.publicUrl}/api/%2e%2e/admins-only`, CSRF);
    expect(climbed.status).not.toBe(200);
    expect(stack.upstream.requests.some((request) => request.url.includes('admins-only'))).toBe(false);
  });
});
