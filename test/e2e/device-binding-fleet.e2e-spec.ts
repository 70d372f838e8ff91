import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import { DbscBrowser } from '../support/dbsc-browser';
import { DeviceKey } from '../support/dbsc-device';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { waitFor } from '../support/wait-for';

const CSRF = { 'x-csrf': '1' };
const REGISTER = '/auth/device-binding/register';
const REFRESH = '/auth/device-binding/refresh';

describe('device-bound sessions on several instances', () => {
  let fleet: BffFleet;

  beforeAll(async () => {
    fleet = await startBffFleet({ redisEnv: {}, env: { SESSION_DEVICE_BINDING: 'on' } });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('checks on one instance the challenges another issued, each proof good once on all of them', async () => {
    const dbsc = new DbscBrowser({ register: false });
    // The login starts at instance 1; its callback, and so the registration offer, is instance 0's.
    await dbsc.browser.loginWithForm(`${fleet.urls[1]}/auth/login?returnTo=%2F`, 'alice', 'alice-password');
    const device = DeviceKey.create();
    const post = (instance: number, path: string, headers: Record<string, string>) => dbsc.post(new URL(path, fleet.urls[instance]), { origin: fleet.publicUrl, ...headers });

    const registered = await post(1, REGISTER, { 'secure-session-response': device.registrationProof(dbsc.offeredChallenge) });
    expect(registered.status).toBe(200);
    const id = (JSON.parse(registered.body) as { session_identifier: string }).session_identifier;
    const challenged = await post(1, REFRESH, { 'sec-secure-session-id': id });
    expect(challenged.status).toBe(403);
    const challenge = /^"([\w-]+)"/.exec(String(challenged.headers['secure-session-challenge']))?.[1] ?? '';
    const proof = device.refreshProof(challenge);

    expect((await post(0, REFRESH, { 'sec-secure-session-id': id, 'secure-session-response': proof })).status).toBe(200);
    expect((await post(1, REFRESH, { 'sec-secure-session-id': id, 'secure-session-response': proof })).status).toBe(403);
    // The bound cookie one instance made opens the session on every instance (one key set, no shared state needed).
    for (const base of fleet.urls) expect([base, (await dbsc.browser.get(`${base}/api/x`, CSRF)).status]).toEqual([base, 200]);
  });
});

describe('the bound cookie expires', () => {
  let stack: LoginStack;
  let api: EchoUpstream;

  beforeAll(async () => {
    api = await startEchoUpstream();
    stack = await startLoginStack({ SESSION_DEVICE_BINDING: 'on', SESSION_DEVICE_BINDING_COOKIE_LIFETIME: '3', UPSTREAM_URL: api.url });
  });
  afterAll(async () => {
    await stack?.stop();
    await api?.stop();
  });

  it('refuses a copy of both cookies once the bound one expired, while the device refreshes it with a proof and carries on', async () => {
    const dbsc = new DbscBrowser();
    await dbsc.browser.loginWithForm(`${stack.publicUrl}/auth/login?returnTo=%2F`, 'alice', 'alice-password');
    // What an infostealer copies: every cookie, the bound one included.
    const copied = dbsc.browser.cookieHeader(stack.publicUrl) ?? '';
    expect(copied).toMatch(/bff-session-bound=/);
    const replay = async () => {
      const response = await fetch(`${stack.publicUrl}/api/x`, { headers: { ...CSRF, cookie: copied } });
      const body: unknown = await response.json();
      return { status: response.status, body };
    };

    const refused = await waitFor(replay, ({ status }) => status !== 200, { timeoutMs: 15_000, intervalMs: 200, what: 'the copied bound cookie to expire' });

    expect(refused).toEqual({ status: 401, body: expect.objectContaining({ error: 'device_binding_required' }) as unknown });
    expect((await dbsc.browser.get(`${stack.publicUrl}/api/x`, CSRF)).status).toBe(200);
    expect(dbsc.exchanges.map(({ kind, status }) => `${kind} ${status}`)).toEqual(['registration 200', 'refresh 200']);
  });
});
