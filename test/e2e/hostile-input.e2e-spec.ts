import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { sendRaw } from '../support/raw-http';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
const HTTP_RUNS = { numRuns: 150 };

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A session cookie being set (not cleared) in any of the response's Set-Cookie headers. */
function setsSession(headers: Headers): boolean {
  return headers.getSetCookie().some((cookie) => /^bff-session=[^;]+/.test(cookie));
}

function expectJsonError(result: Answer, statuses: readonly number[]): void {
  expect(statuses).toContain(result.status);
  expect(result.headers.get('content-type')).toMatch(/^application\/json/);
  expect(JSON.parse(result.body)).toEqual(expect.objectContaining({ error: expect.any(String) as unknown, message: expect.any(String) as unknown }));
}

// Values an attacker would try, and arbitrary ones.
const nasty = fc.constantFrom(
  '', ' ', '%', '%zz', '%00', '\u0000', '\r\n', '../', '..%2f', '//evil.example', 'https://evil.example', 'javascript:alert(1)',
  '<script>', '"', "'", '\\', '{}', '[]', 'null', 'undefined', '__proto__', 'constructor', 'a'.repeat(5000), '\ud800', '\u202e', '💥',
);
const text = fc.oneof(nasty, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
const callbackName = fc.oneof(
  fc.constantFrom('state', 'code', 'error', 'error_description', 'iss', 'session_state', 'response', 'id_token', 'access_token', 'scope'),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'state[]', 'state[0]', ''),
  fc.string({ maxLength: 10 }),
);
const callbackParameters = fc.array(fc.tuple(callbackName, text), { maxLength: 8 });

describe('hostile input over HTTP: no 500, no session, no redirect off-origin', () => {
  let stack: LoginStack;
  let upstream: EchoUpstream;
  let routesFile: string;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    routesFile = join(tmpdir(), `bff-fuzz-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(routesFile, `routes:\n  - path: /public\n    upstream: ${upstream.url}\n    auth: none\n    strip_path: false\n`);
    stack = await startLoginStack({
      ROUTES_FILE: routesFile,
      UPSTREAM_URL: upstream.url,
      RATE_LIMIT_LOGIN: 'off',
      RATE_LIMIT_ADMIN: 'off',
      RATE_LIMIT_ADMIN_AUTH_FAILURES: 'off',
      RATE_LIMIT_CREDENTIAL_FAILURES: 'off',
    });
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.stop();
    rmSync(routesFile, { force: true });
  });

  const url = (path: string) => `${stack.publicUrl}${path}`;

  describe('login', () => {
    it('answers any returnTo with a redirect to the IdP or a 400', async () => {
      const returnTo = fc.oneof(text, fc.webPath(), fc.webUrl(), fc.array(fc.constantFrom('/', '\\', '.', '..', '%2e', '%2f', '@', 'evil.example', '\t'), { maxLength: 8 }).map((parts) => parts.join('')));
      await fc.assert(
        fc.asyncProperty(returnTo, async (value) => {
          const result = await answer(await fetch(url(`/auth/login?${new URLSearchParams({ returnTo: value }).toString()}`), { redirect: 'manual' }));
          expect([302, 400]).toContain(result.status);
          expect(result.headers.get('cache-control')).toBe('no-store');
          if (result.status === 302) expect(new URL(result.headers.get('location') ?? '').origin).toBe(stack.idp.issuer);
          else expect(JSON.parse(result.body)).toMatchObject({ error: 'invalid_return_to' });
        }),
        HTTP_RUNS,
      );
    });

    it.each(['/..//evil.example', '/%2e%2e//evil.example', '/.//evil.example', '//evil.example', '/\\evil.example'])(
      'refuses the returnTo %s, which a browser would resolve off-origin',
      async (value) => {
        const response = await fetch(url(`/auth/login?returnTo=${encodeURIComponent(value)}`), { redirect: 'manual' });
        expect(response.status).toBe(400);
      },
    );

    it('returns to a tricky but same-origin returnTo on this origin after a real login', async () => {
      const browser = stack.browser();
      const login = await browser.loginWithForm(url(`/auth/login?returnTo=${encodeURIComponent('/a/../b/%2e%2e/c?x=//evil.example#//evil.example')}`), 'alice', 'alice-password');
      const final = new URL(login.visited.at(-1) ?? '');
      expect(final.origin).toBe(stack.publicUrl);
      expect(`${final.pathname}${final.search}`).toBe('/c?x=//evil.example');
    });
  });

  describe('the callback', () => {
    it('answers arbitrary query parameters with 400, and never a session', async () => {
      await fc.assert(
        fc.asyncProperty(callbackParameters, async (pairs) => {
          const result = await answer(await fetch(url(`/auth/callback?${new URLSearchParams(pairs).toString()}`), { redirect: 'manual' }));
          expectJsonError(result, [400]);
          expect(setsSession(result.headers)).toBe(false);
          expect(result.headers.get('cache-control')).toBe('no-store');
        }),
        HTTP_RUNS,
      );
    });

    it('answers raw, malformed query strings with 400', async () => {
      const raw = fc.array(fc.constantFrom('state', 'code', '=', '&', '%', '%zz', '%00', '%ff', '+', ';', '[]', '?', 'x'), { maxLength: 12 }).map((parts) => parts.join(''));
      await fc.assert(
        fc.asyncProperty(raw, async (query) => {
          const response = await sendRaw(stack.publicUrl, `GET /auth/callback?${query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 500);
          expect(response.status).toBe(400);
        }),
        HTTP_RUNS,
      );
    });

    it('answers arbitrary form_post bodies, urlencoded or JSON, with 400, and never a session', async () => {
      const body = fc.oneof(
        callbackParameters.map((pairs) => ({ type: 'application/x-www-form-urlencoded', data: new URLSearchParams(pairs).toString() })),
        fc.jsonValue({ maxDepth: 3 }).map((value) => ({ type: 'application/json', data: JSON.stringify(value) })),
        fc.string({ maxLength: 50 }).map((data) => ({ type: 'application/json', data })),
        fc.string({ maxLength: 50 }).map((data) => ({ type: 'text/plain', data })),
      );
      await fc.assert(
        fc.asyncProperty(body, async ({ type, data }) => {
          const result = await answer(await fetch(url('/auth/callback'), { method: 'POST', headers: { 'content-type': type }, body: data, redirect: 'manual' }));
          expectJsonError(result, [400]);
          expect(setsSession(result.headers)).toBe(false);
        }),
        HTTP_RUNS,
      );
    });

    it('answers a real pending login with forged parameters with 400 or 401, and never a session', async () => {
      stack.idp.resetCounters();
      await fc.assert(
        fc.asyncProperty(callbackParameters, fc.boolean(), fc.boolean(), async (extra, keepBinding, viaPost) => {
          const browser = stack.browser();
          const start = await browser.get(url('/auth/login?returnTo=/x'));
          const state = new URL(start.location ?? '').searchParams.get('state') ?? '';
          const parameters = new URLSearchParams([...extra.filter(([name]) => name !== 'state'), ['state', state]]);
          const cookie = keepBinding ? browser.cookieHeader(stack.publicUrl) : undefined;
          const headers: Record<string, string> = cookie ? { cookie } : {};
          const response = viaPost
            ? await fetch(url('/auth/callback'), {
                method: 'POST',
                headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
                body: parameters.toString(),
                redirect: 'manual',
              })
            : await fetch(url(`/auth/callback?${parameters.toString()}`), { headers, redirect: 'manual' });
          const result = await answer(response);
          expectJsonError(result, [400, 401]);
          if (!keepBinding) expect(JSON.parse(result.body)).toMatchObject({ error: 'state_mismatch' });
          expect(setsSession(result.headers)).toBe(false);
        }),
        { numRuns: 100 },
      );
      expect(stack.idp.counters.authorizationCode).toBe(0);
    });
  });

  describe('logout and back-channel logout', () => {
    let alice: TestBrowser;
    let logoutUrl: string;

    beforeAll(async () => {
      alice = await stack.signedIn('alice');
      const user = (JSON.parse((await alice.get(url('/auth/user'), CSRF)).body) as { logoutUrl: string });
      logoutUrl = user.logoutUrl;
    });

    it('refuses any sid but the session’s own with 400 and keeps the session', async () => {
      const realSid = new URL(logoutUrl, stack.publicUrl).searchParams.get('sid') ?? '';
      const sid = fc.oneof(text, fc.constant(realSid.toUpperCase()), fc.constant(`${realSid} `), fc.constant(realSid.slice(1)), fc.constant(`${realSid}%00`));
      await fc.assert(
        fc.asyncProperty(sid.filter((value) => value !== realSid), fc.boolean(), async (value, twice) => {
          const query = new URLSearchParams([['sid', value], ...(twice ? [['sid', realSid] as [string, string]] : [])]);
          const result = await answer(await fetch(url(`/auth/logout?${query.toString()}`), { headers: { cookie: alice.cookieHeader(stack.publicUrl) ?? '' }, redirect: 'manual' }));
          expectJsonError(result, [400]);
        }),
        HTTP_RUNS,
      );
      expect((await alice.get(url('/auth/user'), CSRF)).status).toBe(200);
    });

    it('sends a browser without a session to the post-logout page whatever the sid', async () => {
      await fc.assert(
        fc.asyncProperty(text, async (value) => {
          const response = await fetch(url(`/auth/logout?${new URLSearchParams({ sid: value }).toString()}`), { redirect: 'manual' });
          expect(response.status).toBe(302);
          expect(response.headers.get('location')).toBe(`${stack.publicUrl}/`);
        }),
        { numRuns: 50 },
      );
    });

    it('answers any logout_token with 400, garbage or JWT-shaped', async () => {
      const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
      const header = fc.oneof(
        fc.record({ alg: fc.constantFrom('none', 'HS256', 'RS256', 'ES256', 'PS256', 'EdDSA', 'RSA-OAEP', ''), kid: fc.oneof(text, fc.constant(undefined)) }),
        fc.jsonValue({ maxDepth: 2 }),
      );
      const jwtShaped = fc
        .tuple(header, fc.jsonValue({ maxDepth: 2 }), fc.oneof(fc.constant(''), fc.base64String({ maxLength: 60 })))
        .map(([head, payload, signature]) => `${b64(head)}.${b64(payload)}.${signature}`);
      const token = fc.oneof(text, jwtShaped, fc.array(fc.base64String({ maxLength: 20 }), { maxLength: 6 }).map((parts) => parts.join('.')));
      await fc.assert(
        fc.asyncProperty(token, async (logoutToken) => {
          const result = await answer(
            await fetch(url('/auth/backchannel-logout'), {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ logout_token: logoutToken }),
            }),
          );
          expectJsonError(result, [400]);
          expect(result.headers.get('cache-control')).toBe('no-store');
        }),
        HTTP_RUNS,
      );
      expect((await alice.get(url('/auth/user'), CSRF)).status).toBe(200);
    });

    it('answers tokens the IdP really signed, with arbitrary claim values, with 200 or 400', async () => {
      // Finite numbers only: jose will not sign an infinite exp or iat, and JSON could not carry one.
      const claim = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }));
      const claims = fc.record(
        { sub: claim, sid: claim, jti: claim, iat: claim, exp: claim, events: claim, nonce: claim, aud: claim, iss: claim, extra: claim },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(claims, async (set) => {
          const logoutToken = await stack.idp.signLogoutToken({ sub: 'user-nobody-fuzz', ...set });
          const result = await answer(
            await fetch(url('/auth/backchannel-logout'), {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ logout_token: logoutToken }),
            }),
          );
          expect([200, 400]).toContain(result.status);
          if (result.status === 400) expectJsonError(result, [400]);
        }),
        { numRuns: 100 },
      );
      expect((await alice.get(url('/auth/user'), CSRF)).status).toBe(200);
    });

    it('answers a back-channel body whose logout_token is not a string with 400', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.dictionary(fc.string(), fc.string())), async (value) => {
          const result = await answer(
            await fetch(url('/auth/backchannel-logout'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logout_token: value }) }),
          );
          expectJsonError(result, [400]);
        }),
        { numRuns: 50 },
      );
    });
  });

  describe('the session cookie', () => {
    it('answers any Cookie header without a live session with 401, on /auth/user and on a proxied route', async () => {
      const cookieChar = fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\t');
      const pieces = fc.oneof(fc.string({ unit: cookieChar, maxLength: 60 }), fc.constantFrom('bff-session=', 'bff-session=;', ';bff-session', `bff-session=${'A'.repeat(43)}`, 'bff-session="x"', '=', ';;'));
      const header = fc.array(pieces, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));
      await fc.assert(
        fc.asyncProperty(header, async (cookie) => {
          for (const path of ['/auth/user', '/api/things']) {
            const result = await answer(await fetch(url(path), { headers: { ...CSRF, cookie } }));
            expectJsonError(result, [401]);
            expect(['not_authenticated', 'session_expired']).toContain((JSON.parse(result.body) as { error: string }).error);
          }
        }),
        HTTP_RUNS,
      );
    });
  });

  describe('the Authorization header on a proxied route', () => {
    it('answers any bearer or basic credentials the IdP never issued with 401, or 403 when they are no credentials at all', async () => {
      const b64 = (value: string) => Buffer.from(value).toString('base64');
      const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const credentials = fc.oneof(
        text.map((value) => `Bearer ${value.replace(/[^\x21-\x7e]/g, 'x')}`),
        fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 })).map(([head, body]) => `Bearer ${b64url(head)}.${b64url(body)}.c2ln`),
        fc.constantFrom('Bearer', 'Bearer ', 'Basic', 'Basic ', 'Basic Og==', 'Basic %%%', 'bearer  x', 'Digest x', 'Bearer a b', 'Basic YTpi Yzpk'),
        fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([id, secret]) => `Basic ${b64(`${id}:${secret}`)}`),
        fc.string({ maxLength: 30 }).map((value) => `Basic ${b64(value)}`),
      );
      await fc.assert(
        fc.asyncProperty(credentials, async (authorization) => {
          const result = await answer(await fetch(url('/api/things'), { headers: { authorization } }));
          expectJsonError(result, [401, 403]);
          // Not a credential at all (`Bearer` alone): then it is a cookie call, refused for its missing CSRF header.
          if (result.status === 403) expect(JSON.parse(result.body)).toMatchObject({ error: 'csrf_header_missing' });
        }),
        { numRuns: 100 },
      );
    });
  });

  describe('route paths', () => {
    it('never lets a raw request path reach the upstream outside its route', async () => {
      const piece = fc.constantFrom('..', '.', '%2e%2e', '%2E.', '%2f', '%5c', '\\', '%252e%252e', '%00', '%c0%ae', ';', '..;', 'public', 'x', '', '%', '%zz', '%e9', '\u00e9');
      const path = fc.array(piece, { maxLength: 8 }).map((parts) => `/public/${parts.join('/')}`);
      await fc.assert(
        fc.asyncProperty(path, async (target) => {
          const before = upstream.requests.length;
          const response = await sendRaw(stack.publicUrl, Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1'), 500);
          expect([200, 400, 404]).toContain(response.status);
          const received = upstream.requests.slice(before);
          if (response.status !== 200) expect(received).toHaveLength(0);
          for (const request of received) {
            const resolved = new URL(request.url, 'http://upstream').pathname;
            expect(resolved === '/public' || resolved.startsWith('/public/')).toBe(true);
            expect(decodeURIComponent(resolved).split('/')).not.toContain('..');
          }
        }),
        HTTP_RUNS,
      );
    });
  });

  describe('the admin API', () => {
    const field = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 70 }), fc.dictionary(fc.string({ maxLength: 5 }), text, { maxKeys: 2 }));
    const tagLike = fc.array(fc.oneof(fc.stringMatching(/^[\w.:@\-/]{1,64}$/), text), { maxLength: 5 });
    const consumerLike = fc.record(
      { username: fc.oneof(field, fc.string({ minLength: 1, maxLength: 20 })), custom_id: fc.oneof(field, fc.uuid()), tags: fc.oneof(field, tagLike), id: field, extra: field, ['__proto__']: field },
      { requiredKeys: [] },
    );
    const anyBody = fc.oneof(
      consumerLike.map((value) => JSON.stringify(value)),
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('{"username":"a","username":"b"}', '{"__proto__":{"admin":true},"username":"proto"}', '{"constructor":{"prototype":{}}}', '[{}]', '{"tags":{"length":1e9}}'),
    );
    const send = async (method: string, path: string, body: string) => answer(await stack.app.admin(path, { method, body: body === '' ? undefined : body }));

    it('answers POST /consumers with any body with 201, 400 or 409 in the error shape', async () => {
      await fc.assert(
        fc.asyncProperty(anyBody, async (body) => {
          const result = await send('POST', '/consumers', body);
          if (result.status === 201) expect(JSON.parse(result.body)).toMatchObject({ id: expect.any(String) as unknown });
          else expectJsonError(result, [400, 409]);
        }),
        { numRuns: 300 },
      );
    });

    it('answers PATCH /consumers/{username} with any body with 200, 400, 404 or 409', async () => {
      await send('POST', '/consumers', JSON.stringify({ username: 'fuzz-target', custom_id: 'fuzz-target-id' }));
      await send('POST', '/consumers', JSON.stringify({ username: 'fuzz-other', custom_id: 'fuzz-other-id' }));
      const withCollisions = fc.oneof(anyBody, fc.constantFrom('{"username":"fuzz-other"}', '{"custom_id":"fuzz-other-id"}', '{"username":null,"custom_id":null}', '{"username":null}'));
      await fc.assert(
        fc.asyncProperty(withCollisions, async (body) => {
          const result = await send('PATCH', '/consumers/fuzz-target', body);
          if (result.status === 200) {
            const updated = JSON.parse(result.body) as { username: string | null; custom_id: string | null };
            expect(updated.username !== null || updated.custom_id !== null).toBe(true);
            const restored = await send('PATCH', `/consumers/${(JSON.parse(result.body) as { id: string }).id}`, JSON.stringify({ username: 'fuzz-target', custom_id: 'fuzz-target-id' }));
            expect(restored.status).toBe(200);
          } else {
            expectJsonError(result, [400, 404, 409]);
          }
        }),
        { numRuns: 200 },
      );
    });

    it('answers any consumer id or username in the path with 200, 204, 400 or 404', async () => {
      const key = fc.oneof(text, fc.uuid(), fc.constant('fuzz-other'));
      const method = fc.constantFrom('GET', 'DELETE', 'PATCH');
      await fc.assert(
        fc.asyncProperty(key, method, fc.boolean(), async (value, verb, sessions) => {
          const path = `/consumers/${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '?'))}${sessions ? '/sessions' : ''}`;
          const patch = verb === 'PATCH' && !sessions;
          const result = await send(patch ? 'PATCH' : verb === 'PATCH' ? 'GET' : verb, path, patch ? '{"tags":["x"]}' : '');
          if (result.status >= 300) expectJsonError(result, [400, 404]);
          else expect([200, 204]).toContain(result.status);
        }),
        HTTP_RUNS,
      );
    });

    it('answers any list query with 200 or 400', async () => {
      const name = fc.constantFrom('size', 'offset', 'username', 'custom_id', 'tag', 'size[]', 'other');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(name, fc.oneof(text, fc.constant('a\u0000b'), fc.integer().map(String), fc.base64String({ maxLength: 48 }))), { maxLength: 5 }), async (pairs) => {
          const result = await send('GET', `/consumers?${new URLSearchParams(pairs).toString()}`, '');
          if (result.status !== 200) expectJsonError(result, [400]);
        }),
        HTTP_RUNS,
      );
    });
  });
});
