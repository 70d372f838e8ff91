import { setTimeout as sleep } from 'node:timers/promises';
import type { BffFleet } from './bff-fleet';
import { MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET } from '../../dev/idp/idp-clients';
import type { EchoBody } from './echo-upstream';
import type { TestBrowser } from './test-browser';

/**
 * Access tokens live 60 s and are due 56 s before they expire: a session's token is due 4 s after it was issued.
 * (Client-credentials tokens live 60 s too: long enough for the shared cache to keep them, see reuseDeadline.)
 */
export const TOKEN_TTL_SECONDS = 60;
export const REFRESH_SKEW_SECONDS = 56;
const DUE_AFTER_MS = (TOKEN_TTL_SECONDS - REFRESH_SKEW_SECONDS) * 1000;
const ABSOLUTE_TIMEOUT_MS = 28_800_000;
const CSRF = { 'x-csrf': '1' };

/**
 * Every key the BFF writes, after `REDIS_PREFIX`: the layout the README's "Scaling out" section documents. Anything
 * else in Redis fails the layout test, so a new key cannot ship undocumented.
 */
export const KEY_LAYOUT: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ['session', /^s:\{[\w-]{43}\}$/],
  ['session tombstone', /^s:\{[\w-]{43}\}:revoked$/],
  ['refresh lease', /^s:\{[\w-]{43}\}:refresh-lock$/],
  ['token-exchange lease', /^s:\{[\w-]{43}\}:exchange-lock:[\w-]{22}$/],
  ['device-binding challenges', /^s:\{[\w-]{43}\}:dbsc-challenges$/],
  ['index by sub', /^ix:sub:\{[\w-]{43}\}$/],
  ['index by sid', /^ix:sid:\{[\w-]{43}\}$/],
  ['index by consumer', /^ix:consumer:\{[0-9a-f-]{36}\}$/],
  ['index of all sessions', /^ix:all$/],
  ['login state', /^login:[^:{}]+$/],
  ['back-channel logout jti', /^bcl-jti:[\w-]{43}$/],
  ['DPoP proof jti', /^dpop-jti:[\w-]{43}$/],
  ['client-credentials token', /^cc:[\w-]{43}$/],
  ['client-credentials lock', /^cc:[\w-]{43}:lock$/],
  ['exchanged token of a bearer caller', /^x:[\w-]{43}:[\w-]{22}$/],
  ['exchanged-token lock', /^x:[\w-]{43}:[\w-]{22}:lock$/],
  ['rate-limit counter', /^throttle:\{[^{}]+\}$/],
  ['rate-limit block', /^throttle:\{[^{}]+\}:blocked$/],
];

export interface ScaleOutContext {
  fleet: BffFleet;
  /** Every key under `prefix` in the deployment (on a Cluster: on every master). */
  keys(prefix: string): Promise<string[]>;
  pttl(key: string): Promise<number>;
}

interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export function bearerOf(body: Record<string, unknown>): string {
  const headers = (body as Partial<EchoBody>).headers ?? {};
  return String(headers['authorization'] ?? '').replace(/^Bearer /, '');
}

function jwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** `GET <instance>/<path>` with the browser's cookies and the CSRF header; the body parsed as JSON. */
export async function callVia(fleet: BffFleet, browser: TestBrowser, instance: number, path: string): Promise<ApiAnswer> {
  const response = await browser.get(`${fleet.urls[instance]}${path}`, CSRF);
  return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
}

/** What every topology must do: the instances of a fleet behave as one BFF, whichever instance a request reaches. */
export function behavesAsOneBffAcrossInstances(context: () => ScaleOutContext): void {
  const fleet = () => context().fleet;
  const call = (browser: TestBrowser, instance: number, path: string) => callVia(fleet(), browser, instance, path);
  const sessionIdOf = (browser: TestBrowser) => browser.cookies(fleet().publicUrl)['bff-session'] ?? '';
  const postLogoutToken = (instance: number, token: string) =>
    fetch(`${fleet().urls[instance]}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    });

  it('logs in through one instance and serves the session from every instance', async () => {
    const browser = await fleet().signedIn('alice', 1);

    for (const instance of [0, 1]) {
      const user = await call(browser, instance, '/auth/user');
      expect([instance, user.status, user.body['sub']]).toEqual([instance, 200, 'user-alice']);
      const proxied = await call(browser, instance, '/api/orders?page=1');
      expect([instance, proxied.status, proxied.body['path']]).toEqual([instance, 200, '/orders']);
      expect(jwtPayload(bearerOf(proxied.body))).toMatchObject({ sub: 'user-alice' });
    }
  });

  it('makes one refresh grant for 20 concurrent calls split between two instances when the access token is due', async () => {
    const { idp } = fleet();
    const browser = await fleet().signedIn('bob');
    // No proxied call before this: nothing may refresh the token early. The token is due DUE_AFTER_MS after issuance.
    await sleep(DUE_AFTER_MS + 250);
    idp.resetCounters();
    idp.tokenDelayMs = 300;
    const firedAt = Date.now();
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => call(browser, index % 2, '/api/refresh-race')));

      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      expect(idp.counters.refreshToken).toBe(1);
      const tokens = new Set(answers.map((answer) => bearerOf(answer.body)));
      expect(tokens.size).toBe(1);
      const [token = ''] = tokens;
      expect(Number(jwtPayload(token)['iat']) * 1000).toBeGreaterThanOrEqual(firedAt - 1000);
    } finally {
      idp.tokenDelayMs = 0;
    }
  });

  it('logs out through one instance, revoking the refresh token, and the session ends on every instance', async () => {
    const browser = await fleet().signedIn('carol', 1);
    const sessionId = sessionIdOf(browser);
    const { body } = await call(browser, 0, '/auth/user');
    fleet().idp.resetCounters();

    const logout = await browser.get(`${fleet().urls[1]}${String(body['logoutUrl'])}`);

    expect(logout.status).toBe(302);
    expect(new URL(logout.location ?? '').origin).toBe(fleet().idp.issuer);
    expect(fleet().idp.counters.revocations).toBe(1);
    for (const url of fleet().urls) {
      const after = await fetch(`${url}/auth/user`, { headers: { ...CSRF, cookie: `bff-session=${sessionId}` } });
      expect([url, after.status]).toEqual([url, 401]);
    }
  });

  it('ends every session of the subject of a back-channel logout posted to one instance, and refuses its replay on another', async () => {
    const sessions = await Promise.all([0, 1].map(async (via) => sessionIdOf(await fleet().signedIn('alice', via))));
    const token = await fleet().idp.signLogoutToken({ sub: 'user-alice' });

    expect((await postLogoutToken(1, token)).status).toBe(200);

    for (const sessionId of sessions) {
      for (const url of fleet().urls) {
        const user = await fetch(`${url}/auth/user`, { headers: { ...CSRF, cookie: `bff-session=${sessionId}` } });
        expect([url, user.status, ((await user.json()) as Record<string, unknown>)['error']]).toEqual([url, 401, 'session_revoked']);
      }
    }
    expect((await postLogoutToken(0, token)).status).toBe(400);
  });

  it('ends only the session named by the sid of a back-channel logout', async () => {
    const target = await fleet().signedIn('bob', 1);
    const bystander = await fleet().signedIn('bob', 0);
    const claims = (await call(target, 0, '/auth/user')).body['claims'] as { sid?: unknown };
    expect(typeof claims.sid).toBe('string');

    expect((await postLogoutToken(0, await fleet().idp.signLogoutToken({ sid: String(claims.sid) }))).status).toBe(200);

    expect((await call(target, 1, '/auth/user')).status).toBe(401);
    expect((await call(bystander, 1, '/auth/user')).status).toBe(200);
  });

  it('ends a consumer\'s sessions through the admin API of another instance than the one that created them', async () => {
    const [first, second] = fleet().instances;
    const created = await first.admin('/consumers', { method: 'POST', body: JSON.stringify({ username: 'carol', custom_id: 'user-carol' }) });
    expect(created.status).toBe(201);
    const browser = await fleet().signedIn('carol', 0);
    const listed = (await (await second.admin('/consumers/carol/sessions')).json()) as { data: unknown[] };
    expect(listed.data).toHaveLength(1);

    expect((await second.admin('/consumers/carol/sessions', { method: 'DELETE' })).status).toBe(204);

    expect((await call(browser, 0, '/auth/user')).status).toBe(401);
  });

  it('makes one client-credentials grant for a pair used on two instances at once', async () => {
    const basic = `Basic ${Buffer.from(`${MACHINE_CLIENT_ID}:${MACHINE_CLIENT_SECRET}`).toString('base64')}`;
    fleet().idp.resetCounters();
    fleet().idp.tokenDelayMs = 200;
    try {
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, index) => fetch(`${fleet().urls[index % 2]}/api/jobs`, { headers: { authorization: basic } })),
      );

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      expect(fleet().idp.counters.clientCredentials).toBe(1);
    } finally {
      fleet().idp.tokenDelayMs = 0;
    }
  });

  it('writes only keys of the documented layout, each expiring within the absolute session timeout', async () => {
    await fleet().signedIn('carol', 1); // carol is a consumer by now: her session is indexed by consumer too
    // A login left half-way keeps its state, so that key is in the picture too.
    expect((await fleet().browser().get(`${fleet().urls[1]}/auth/login`)).status).toBe(302);
    const { redisPrefix } = fleet();
    const keys = (await context().keys(redisPrefix)).map((key) => key.slice(redisPrefix.length));

    const undocumented = keys.filter((key) => !KEY_LAYOUT.some(([, pattern]) => pattern.test(key)));
    expect(undocumented).toEqual([]);
    const seen = new Set(keys.map((key) => KEY_LAYOUT.find(([, pattern]) => pattern.test(key))?.[0]));
    for (const kind of ['session', 'session tombstone', 'index by sub', 'index by sid', 'index by consumer', 'index of all sessions', 'login state', 'back-channel logout jti', 'client-credentials token']) {
      expect([kind, seen.has(kind)]).toEqual([kind, true]);
    }
    for (const key of keys) {
      const ttl = await context().pttl(redisPrefix + key);
      expect([key, ttl > 0 && ttl <= ABSOLUTE_TIMEOUT_MS]).toEqual([key, true]);
    }
  });
}
