import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DbscBrowser } from '../support/dbsc-browser';
import { DeviceKey, macProof, unsecuredProof } from '../support/dbsc-device';
import { startEchoUpstream, type EchoBody, type EchoUpstream } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { MetricsScrape } from '../support/metrics-scrape';
import { keysUnder, TEST_REDIS_URL } from '../support/test-redis';
import { openWebSocket, opened } from '../support/websocket-client';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

const CSRF = { 'x-csrf': '1' };
const SESSION = 'bff-session';
const BOUND = 'bff-session-bound';
const REGISTER = '/auth/device-binding/register';
const REFRESH = '/auth/device-binding/refresh';

describe('device-bound sessions (DBSC): a session cookie copied elsewhere is worth nothing', () => {
  let stack: LoginStack;
  let api: EchoUpstream;
  let live: WebSocketUpstream;
  const url = (path: string) => new URL(path, stack.publicUrl);

  beforeAll(async () => {
    [api, live] = await Promise.all([startEchoUpstream(), startWebSocketUpstream()]);
    const routesFile = join(tmpdir(), `bff-dbsc-routes-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(routesFile, `routes:\n  - path: /api\n    upstream: ${api.url}\n  - path: /live\n    upstream: ${live.url}\n`);
    stack = await startLoginStack({ SESSION_DEVICE_BINDING: 'on', ROUTES_FILE: routesFile, CONSUMER_AUTO_CREATE: 'true', CONSUMER_OPTIONAL: 'false' });
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([api?.stop(), live?.stop()]);
  });

  /** A DBSC browser (ES256 unless told) signed in as `username`, its session bound by the time this resolves. */
  async function boundBrowser(username = 'alice', options: ConstructorParameters<typeof DbscBrowser>[0] = {}): Promise<DbscBrowser> {
    const dbsc = new DbscBrowser(options);
    await dbsc.browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=%2F`, username, `${username}-password`);
    return dbsc;
  }

  const cookieOf = (dbsc: DbscBrowser, name: string) => dbsc.browser.cookies(stack.publicUrl)[name];
  const user = async (dbsc: DbscBrowser) => JSON.parse((await dbsc.browser.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { session: { device_bound: boolean } };

  /** A raw call with exactly these cookies: what a thief replays, or a browser without DBSC sends. */
  const call = (path: string, cookies: Record<string, string | undefined>, headers: Record<string, string> = CSRF) =>
    fetch(url(path), { headers: { ...headers, cookie: Object.entries(cookies).map(([name, value]) => `${name}=${value ?? ''}`).join('; ') }, redirect: 'manual' });

  /** A fresh refresh challenge for the browser's session, as its 403 delivers one. */
  async function challengeFor(dbsc: DbscBrowser): Promise<string> {
    const answer = await dbsc.post(url(REFRESH), { 'sec-secure-session-id': dbsc.session.id, origin: stack.publicUrl });
    expect(answer.status).toBe(403);
    const challenge = /^"([\w-]+)";id="([\w-]+)"$/.exec(String(answer.headers['secure-session-challenge']));
    expect(challenge?.[2]).toBe(dbsc.session.id);
    return challenge?.[1] ?? '';
  }

  const refreshWith = (dbsc: DbscBrowser, proof: string) =>
    dbsc.post(url(REFRESH), { 'sec-secure-session-id': dbsc.session.id, origin: stack.publicUrl, 'secure-session-response': proof });

  it('offers registration on the login\'s final response, and a DBSC browser binds the session to its key', async () => {
    const dbsc = await boundBrowser();

    expect(dbsc.offers).toEqual([{ url: expect.stringContaining('/auth/callback?') as unknown, header: expect.stringMatching(/^\(ES256 RS256\);path="\/auth\/device-binding\/register";challenge="[\w-]{43}"$/) as unknown }]);
    expect(dbsc.exchanges).toEqual([{ kind: 'registration', status: 200, body: expect.any(String) as unknown }]);
    expect(JSON.parse(dbsc.exchanges[0]?.body ?? '')).toEqual({
      session_identifier: dbsc.session.id,
      refresh_url: REFRESH,
      scope: { origin: stack.publicUrl, include_site: false, scope_specification: [{ type: 'exclude', domain: '127.0.0.1', path: REFRESH }] },
      credentials: [{ type: 'cookie', name: BOUND, attributes: 'Path=/; HttpOnly; SameSite=Lax' }],
      allowed_refresh_initiators: [],
    });
    expect(dbsc.browser.jar.raw(stack.publicUrl).find((line) => line.startsWith(`${BOUND}=`))).toMatch(/^bff-session-bound=\d+\.[\w-]{11}\.[0-9a-f]{8}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/);
    expect(dbsc.session.cachedChallenge).toMatch(/^[\w-]{43}$/);
    expect((await user(dbsc)).session.device_bound).toBe(true);
  });

  it('offers registration again on /auth/user while the session is young and unbound (a login the IdP\'s site sent back)', async () => {
    const plain = await stack.signedIn('bob');
    const dbsc = new DbscBrowser();
    dbsc.browser.jar.store(url('/'), [`${SESSION}=${plain.cookies(stack.publicUrl)[SESSION]}; Path=/`]);

    const answer = await dbsc.browser.get(`${stack.publicUrl}/auth/user`, CSRF);

    expect(answer.headers['secure-session-registration']).toMatch(/^\(ES256 RS256\);path="\/auth\/device-binding\/register";challenge="[\w-]{43}"$/);
    expect(dbsc.exchanges).toEqual([{ kind: 'registration', status: 200, body: expect.any(String) as unknown }]);
    const again = await dbsc.browser.get(`${stack.publicUrl}/auth/user`, CSRF);
    expect(again.headers['secure-session-registration']).toBeUndefined();
    expect((JSON.parse(again.body) as { session: { device_bound: boolean } }).session.device_bound).toBe(true);
    // The session is bound now: the browser that ignored the offer has lost it to the device.
    expect((await plain.get(`${stack.publicUrl}/api/orders`, CSRF)).status).toBe(401);
  });

  it('forwards the bound session\'s calls, and the upstream never sees the bound cookie', async () => {
    const dbsc = await boundBrowser();

    const response = await dbsc.browser.get(`${stack.publicUrl}/api/orders`, CSRF);

    expect(response.status).toBe(200);
    const echoed = JSON.parse(response.body) as EchoBody;
    expect(echoed.headers['authorization']).toMatch(/^Bearer /);
    // The jar shares 127.0.0.1 with the dev IdP, whose own cookies ride along; the BFF's never do.
    expect(echoed.headers['cookie'] ?? '').not.toMatch(/bff-session/);
  });

  it('refuses the session cookie alone (401 device_binding_required) on API calls, /auth/user, logout and WebSocket handshakes', async () => {
    const dbsc = await boundBrowser();
    const stolen = { [SESSION]: cookieOf(dbsc, SESSION) };
    const logoutUrl = ((await user(dbsc)) as unknown as { logoutUrl: string }).logoutUrl;

    for (const [path, headers] of [['/api/orders', CSRF], ['/auth/user', CSRF], [logoutUrl, {}]] as const) {
      const response = await call(path, stolen, headers);
      expect([path, response.status]).toEqual([path, 401]);
      expect(await response.json()).toMatchObject({ error: 'device_binding_required', login_url: expect.stringMatching(/^\/auth\/login/) as unknown });
      expect(response.headers.get('set-cookie')).toMatch(/^bff-session-bound=; .*Max-Age=0/);
    }
    const socket = await openWebSocket(`${stack.publicUrl}/live`, { origin: stack.publicUrl, cookie: `${SESSION}=${stolen[SESSION]}` });
    expect(socket).toMatchObject({ kind: 'refused', status: 401, body: { error: 'device_binding_required' } });
    // A forged or another session's bound cookie is no better than none.
    expect((await call('/api/orders', { ...stolen, [BOUND]: 'x.y.z' })).status).toBe(401);
    expect((await call('/api/orders', { ...stolen, [BOUND]: cookieOf(await boundBrowser('bob'), BOUND) })).status).toBe(401);

    // The device itself carries on, WebSocket included: nothing ended.
    expect((await dbsc.browser.get(`${stack.publicUrl}/api/orders`, CSRF)).status).toBe(200);
    const { socket: open } = opened(await openWebSocket(`${stack.publicUrl}/live`, { origin: stack.publicUrl, cookie: dbsc.browser.cookieHeader(stack.publicUrl) }));
    open.close();
  });

  it('refreshes a missing bound cookie with a proof of the device key before the next call, which then passes', async () => {
    const dbsc = await boundBrowser();
    const before = cookieOf(dbsc, BOUND);
    dbsc.browser.jar.store(url('/'), [`${BOUND}=; Path=/; Max-Age=0`]);

    const response = await dbsc.browser.get(`${stack.publicUrl}/api/orders`, CSRF);

    expect(response.status).toBe(200);
    expect(dbsc.exchanges.map(({ kind, status }) => `${kind} ${status}`)).toEqual(['registration 200', 'refresh 200']);
    expect(cookieOf(dbsc, BOUND)).toMatch(/^\d+\.[\w-]{11}\.[0-9a-f]{8}\.[\w-]{43}$/);
    expect(cookieOf(dbsc, BOUND)).not.toBe(before);
  });

  it('answers a refresh without a proof with 403 and a challenge, and the browser signs it and succeeds', async () => {
    const dbsc = await boundBrowser();
    dbsc.session.cachedChallenge = undefined;
    dbsc.browser.jar.store(url('/'), [`${BOUND}=; Path=/; Max-Age=0`]);

    expect((await dbsc.browser.get(`${stack.publicUrl}/auth/user`, CSRF)).status).toBe(200);
    expect(dbsc.exchanges.map(({ kind, status }) => `${kind} ${status}`)).toEqual(['registration 200', 'refresh 403', 'refresh 200']);
    expect(JSON.parse(dbsc.exchanges[1]?.body ?? '')).toMatchObject({ error: 'device_proof_required' });
  });

  it('refuses proofs by another key, alg none or HS256, for another session\'s or a pushed-out challenge, and replays: 403, a new challenge, nothing renewed or ended', async () => {
    const dbsc = await boundBrowser();
    const other = await boundBrowser('bob');
    const thief = DeviceKey.create();
    const refused = async (proof: string) => {
      const answer = await refreshWith(dbsc, proof);
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_device_proof' });
      expect(answer.headers['secure-session-challenge']).toMatch(new RegExp(`^"[\\w-]{43}";id="${dbsc.session.id}"$`));
      expect(answer.setCookies).toEqual([]);
    };

    const challenge = await challengeFor(dbsc);
    await refused(thief.refreshProof(challenge));
    await refused(thief.registrationProof(challenge));
    await refused(unsecuredProof({ typ: 'dbsc+jwt' }, { jti: challenge }));
    await refused(macProof(randomBytes(32), { typ: 'dbsc+jwt' }, { jti: challenge }));
    // The challenge they all answered is still good for the device key, once.
    const proof = dbsc.session.key.refreshProof(challenge);
    expect((await refreshWith(dbsc, proof)).status).toBe(200);
    await refused(proof);

    await refused(dbsc.session.key.refreshProof(await challengeFor(other)));
    await refused(dbsc.session.key.refreshProof('a-challenge-never-issued-0123456789abcdefgh'));
    // Eight newer challenges push an old one out.
    const old = await challengeFor(dbsc);
    for (let count = 0; count < 8; count += 1) await challengeFor(dbsc);
    await refused(dbsc.session.key.refreshProof(old));

    // Neither session ended, and neither lost its bound cookie.
    expect((await dbsc.browser.get(`${stack.publicUrl}/api/orders`, CSRF)).status).toBe(200);
    expect((await other.browser.get(`${stack.publicUrl}/api/orders`, CSRF)).status).toBe(200);
    expect(dbsc.exchanges.filter(({ kind }) => kind === 'refresh')).toEqual([]);
  });

  it('refuses registrations that prove nothing (400), and a second one (409); the session stays usable', async () => {
    const plain = new DbscBrowser({ register: false });
    await plain.browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=%2F`, 'carol', 'carol-password');
    const challenge = plain.offeredChallenge;
    const other = new DbscBrowser({ register: false });
    await other.browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=%2F`, 'bob', 'bob-password');
    const device = DeviceKey.create();
    const register = (proof?: string) => plain.post(url(REGISTER), { origin: stack.publicUrl, ...(proof ? { 'secure-session-response': proof } : {}) });
    const cases: [string, string | undefined, string][] = [
      ['no proof', undefined, 'device_proof_required'],
      ['alg none', unsecuredProof({ typ: 'dbsc+jwt', jwk: device.publicJwk }, { jti: challenge }), 'invalid_device_proof'],
      ['HS256', macProof(randomBytes(32), { typ: 'dbsc+jwt', jwk: device.publicJwk }, { jti: challenge }), 'invalid_device_proof'],
      ['a key other than the one it carries', DeviceKey.create().registrationProof(challenge, { header: { jwk: device.publicJwk } }), 'invalid_device_proof'],
      ["another session's challenge", device.registrationProof(other.offeredChallenge), 'invalid_device_proof'],
      ['a proof of the wrong type', device.registrationProof(challenge, { header: { typ: 'JWT' } }), 'invalid_device_proof'],
    ];
    for (const [what, proof, error] of cases) {
      const answer = await register(proof);
      expect([what, answer.status, JSON.parse(answer.body)]).toEqual([what, 400, expect.objectContaining({ error })]);
      expect(answer.setCookies).toEqual([]);
    }
    expect((await user(plain)).session.device_bound).toBe(false);

    // The structured-field string form the draft describes works as well as Chrome's bare value.
    expect((await register(`"${device.registrationProof(challenge)}"`)).status).toBe(200);
    const again = await register(DeviceKey.create().registrationProof(challenge));
    expect([again.status, JSON.parse(again.body)]).toEqual([409, expect.objectContaining({ error: 'device_binding_exists' })]);
    expect((await plain.browser.get(`${stack.publicUrl}/api/orders`, CSRF)).status).toBe(200);
  });

  it('binds an RS256 device key as well', async () => {
    const dbsc = await boundBrowser('bob', { algorithm: 'RS256' });
    dbsc.browser.jar.store(url('/'), [`${BOUND}=; Path=/; Max-Age=0`]);

    expect((await dbsc.browser.get(`${stack.publicUrl}/api/orders`, CSRF)).status).toBe(200);
    expect(dbsc.exchanges.map(({ kind, status }) => `${kind} ${status}`)).toEqual(['registration 200', 'refresh 200']);
  });

  it('ends the binding at logout: both cookies cleared, and the refresh answered 401, so the browser drops its DBSC session', async () => {
    const dbsc = await boundBrowser();
    const { session } = dbsc;
    const { logoutUrl } = (await user(dbsc)) as unknown as { logoutUrl: string };

    const logout = await dbsc.browser.get(`${stack.publicUrl}${logoutUrl}`);

    expect(logout.status).toBe(302);
    expect(logout.setCookies).toEqual([expect.stringMatching(/^bff-session=;.*Max-Age=0/), expect.stringMatching(/^bff-session-bound=;.*Max-Age=0/)]);
    await dbsc.refresh(session);
    expect(dbsc.exchanges.at(-1)).toMatchObject({ kind: 'refresh', status: 401 });
    // The session cookie went with the logout: the refresh finds no session at all.
    expect(JSON.parse(dbsc.exchanges.at(-1)?.body ?? '')).toMatchObject({ error: 'not_authenticated' });
    expect(dbsc.sessions.size).toBe(0);
  });

  it('ends the binding with an admin revocation: the bound cookie opens nothing, the refresh is refused', async () => {
    const dbsc = await boundBrowser('carol');
    const consumer = (await (await stack.app.admin('/consumers?custom_id=user-carol')).json()) as { data: { id: string }[] };
    const listed = (await (await stack.app.admin(`/consumers/${consumer.data[0]?.id}/sessions`)).json()) as { data: { device_bound: boolean }[] };
    expect(listed.data).toContainEqual(expect.objectContaining({ device_bound: true }));

    expect((await stack.app.admin(`/consumers/${consumer.data[0]?.id}/sessions`, { method: 'DELETE' })).status).toBe(204);

    expect((await call('/api/orders', { [SESSION]: cookieOf(dbsc, SESSION), [BOUND]: cookieOf(dbsc, BOUND) })).status).toBe(401);
    await dbsc.refresh(dbsc.session);
    expect(dbsc.exchanges.at(-1)).toMatchObject({ kind: 'refresh', status: 401 });
    expect(dbsc.sessions.size).toBe(0);
  });

  it('keeps browsers that ignore the offer working unbound, as before', async () => {
    const browser = await stack.signedIn('alice');

    expect((await browser.get(`${stack.publicUrl}/api/orders`, CSRF)).status).toBe(200);
    const info = JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { session: { device_bound: boolean }; logoutUrl: string };
    expect(info.session.device_bound).toBe(false);
    expect(browser.cookies(stack.publicUrl)[BOUND]).toBeUndefined();
    expect((await browser.get(`${stack.publicUrl}${info.logoutUrl}`)).status).toBe(302);
  });

  it('refuses refreshes a page script could attempt: no Sec-Secure-Session-Id (400), another Origin (403), another binding id (401)', async () => {
    const dbsc = await boundBrowser();

    expect((await dbsc.post(url(REFRESH), { origin: stack.publicUrl })).status).toBe(400);
    expect((await dbsc.post(url(REFRESH), { 'sec-secure-session-id': dbsc.session.id, origin: 'https://evil.example' })).status).toBe(403);
    const unknown = await dbsc.post(url(REFRESH), { 'sec-secure-session-id': 'AAAAAAAAAAAAAAAAAAAAAA', origin: stack.publicUrl });
    expect([unknown.status, JSON.parse(unknown.body)]).toEqual([401, expect.objectContaining({ error: 'device_binding_unknown' })]);
    const anonymous = await fetch(url(REFRESH), { method: 'POST', headers: { 'sec-secure-session-id': dbsc.session.id } });
    expect([anonymous.status, await anonymous.json()]).toEqual([401, expect.objectContaining({ error: 'not_authenticated' })]);
  });

  it('seals the device key in the vault, and keeps challenges beside the session by digest, expiring well before it', async () => {
    const dbsc = await boundBrowser();
    const { Redis } = await import('ioredis');
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = await keysUnder(stack.app.redisPrefix);
      const sessionKey = `${stack.app.redisPrefix}s:{${createHash('sha256').update(cookieOf(dbsc, SESSION) ?? '').digest('base64url')}}`;
      const challenges = `${sessionKey}:dbsc-challenges`;
      expect(keys).toContain(challenges);
      expect(await redis.zrange(challenges, 0, -1)).toEqual([expect.stringMatching(/^refresh:[\w-]{43}$/)]);
      // A challenge outlives the bound cookie by a minute, at most: the next refresh may use it.
      expect(await redis.pttl(challenges)).toBeGreaterThan(600_000);
      expect(await redis.pttl(challenges)).toBeLessThanOrEqual(660_000);
      expect(Number(await redis.hget(sessionKey, 'b'))).toBeGreaterThan(0);
      for (const key of keys) {
        const type = await redis.type(key);
        const values = type === 'hash' ? Object.values(await redis.hgetall(key)) : type === 'zset' ? await redis.zrange(key, 0, -1) : [];
        for (const value of values) {
          expect(value).not.toContain(String(dbsc.session.key.publicJwk.x));
          expect(value).not.toContain(dbsc.session.cachedChallenge);
          expect(value).not.toContain(dbsc.session.id);
        }
      }
    } finally {
      redis.disconnect();
    }
  });

  it('counts offers, registrations, refreshes and refusals in /metrics', async () => {
    const before = await MetricsScrape.of(stack.app.adminUrl);
    const dbsc = await boundBrowser();
    dbsc.browser.jar.store(url('/'), [`${BOUND}=; Path=/; Max-Age=0`]);
    await dbsc.browser.get(`${stack.publicUrl}/auth/user`, CSRF);
    await call('/api/orders', { [SESSION]: cookieOf(dbsc, SESSION) });

    const after = await MetricsScrape.of(stack.app.adminUrl);
    const delta = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(delta('bff_device_binding_events_total', { event: 'offered' })).toBe(1);
    expect(delta('bff_device_binding_events_total', { event: 'registered' })).toBe(1);
    expect(delta('bff_device_binding_events_total', { event: 'refreshed' })).toBe(1);
    expect(delta('bff_device_binding_refusals_total', { reason: 'cookie_missing' })).toBe(1);
  });
});
