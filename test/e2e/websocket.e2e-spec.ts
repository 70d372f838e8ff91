import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MACHINE_CLIENT_ID } from '../../dev/idp/idp-clients';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import type { TestBrowser } from '../support/test-browser';
import { openWebSocket, opened, roundTrip } from '../support/websocket-client';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

describe('WebSockets on proxied routes', () => {
  let upstream: WebSocketUpstream;
  let stack: LoginStack;
  let routesFile: string;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    routesFile = join(tmpdir(), `bff-ws-routes-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(
      routesFile,
      `routes:
  - path: /live
    upstream: ${upstream.url}
  - path: /admins-live
    upstream: ${upstream.url}
    groups: [admins]
  - path: /machines-live
    upstream: ${upstream.url}
    auth: bearer
  - path: /no-ws
    upstream: ${upstream.url}
    websocket: false
  - path: /mfa-live
    upstream: ${upstream.url}
    acr: [urn:dev:loa:2fa]
`,
    );
    stack = await startLoginStack({ ROUTES_FILE: routesFile, SESSION_IDLE_TIMEOUT: '3', SESSION_ABSOLUTE_TIMEOUT: '600' });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
    rmSync(routesFile, { force: true });
  });

  const liveUrl = (path = '/live/feed') => `${stack.publicUrl}${path}`;
  const asBrowser = (browser: TestBrowser, path?: string, origin = stack.publicUrl) =>
    openWebSocket(liveUrl(path), { origin, cookie: browser.cookieHeader(stack.publicUrl) });

  it('relays a session WebSocket both ways, with the bearer and identity on the upstream handshake and never the cookie', async () => {
    const browser = await stack.signedIn('alice');
    const { socket } = opened(await asBrowser(browser));
    const handshake = upstream.handshakes.at(-1)!;
    expect(handshake['authorization']).toMatch(/^Bearer ey/);
    expect(handshake['x-credential-identifier']).toBe('user-alice');
    expect(handshake['x-authenticated-groups']).toBe('admins, users');
    expect(handshake['cookie'] ?? '').not.toContain('bff-session');
    expect(handshake['origin']).toBe(stack.publicUrl);

    expect((await roundTrip(socket, 'hello')).toString()).toBe('hello');
    const large = randomBytes(3 * 1024 * 1024);
    expect((await roundTrip(socket, large)).equals(large)).toBe(true);
    socket.close(1000, 'done');
  });

  it('refuses an upgrade without a session with 401 JSON, before any upstream contact', async () => {
    const before = upstream.handshakes.length;
    const result = await openWebSocket(liveUrl(), { origin: stack.publicUrl });
    expect(result).toMatchObject({ kind: 'refused', status: 401, body: { error: 'not_authenticated' } });
    expect(upstream.handshakes.length).toBe(before);
  });

  it.each([['another site', 'https://evil.example'], ['no Origin at all', undefined]])(
    'refuses a session upgrade from %s with 403 origin_mismatch, before any upstream contact',
    async (_what, origin) => {
      const browser = await stack.signedIn('alice');
      const before = upstream.handshakes.length;
      const result = await openWebSocket(liveUrl(), { cookie: browser.cookieHeader(stack.publicUrl), ...(origin ? { origin } : {}) });
      expect(result).toMatchObject({ kind: 'refused', status: 403, body: { error: 'origin_mismatch' } });
      expect(upstream.handshakes.length).toBe(before);
    },
  );

  it('answers 400 on a route with websocket: false, and applies route groups (403) before the upstream', async () => {
    const bob = await stack.signedIn('bob');
    const before = upstream.handshakes.length;
    expect(await asBrowser(bob, '/no-ws/feed')).toMatchObject({ kind: 'refused', status: 400, body: { error: 'websocket_not_allowed' } });
    expect(await asBrowser(bob, '/admins-live/feed')).toMatchObject({ kind: 'refused', status: 403 });
    expect(upstream.handshakes.length).toBe(before);
  });

  it('applies route step-up rules to the handshake: 401 step_up_required with a login_url, before the upstream', async () => {
    const alice = await stack.signedIn('alice');
    const before = upstream.handshakes.length;
    const result = await asBrowser(alice, '/mfa-live/feed');
    expect(result).toMatchObject({ kind: 'refused', status: 401, body: { error: 'step_up_required' } });
    const loginUrl = (result.kind === 'refused' ? (result.body as { login_url: string }) : { login_url: '' }).login_url;
    expect(new URL(loginUrl, stack.publicUrl).searchParams.get('acr_values')).toBe('urn:dev:loa:2fa');
    expect(upstream.handshakes.length).toBe(before);
  });

  it('refuses malformed handshakes (no key, wrong version, not GET) before anything else', async () => {
    const port = Number(new URL(stack.publicUrl).port);
    const raw = (lines: string[]) =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
      });
    const base = ['Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade'];
    const before = upstream.handshakes.length;
    expect(await raw(['GET /live/feed HTTP/1.1', ...base, 'Sec-WebSocket-Version: 13'])).toMatch(/^HTTP\/1.1 400 [^]*"bad_websocket_handshake"/);
    expect(await raw(['GET /live/feed HTTP/1.1', ...base, 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 8'])).toMatch(
      /^HTTP\/1.1 426 [^]*Sec-WebSocket-Version: 13/i,
    );
    expect(await raw(['POST /live/feed HTTP/1.1', ...base, 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', 'Content-Length: 0'])).toMatch(
      /^HTTP\/1.1 400 /,
    );
    expect(upstream.handshakes.length).toBe(before);
  });

  it('passes an upstream refusal of the upgrade through unchanged', async () => {
    const browser = await stack.signedIn('alice');
    upstream.refuseNext(403);
    expect(await asBrowser(browser)).toMatchObject({ kind: 'refused', status: 403, body: { upstream: 'refused' } });
  });

  it('proxies a bearer WebSocket with the token and no Origin check', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken();
    const { socket } = opened(await openWebSocket(liveUrl('/machines-live/jobs'), { headers: { authorization: `Bearer ${token}` } }));
    expect(upstream.handshakes.at(-1)?.['authorization']).toBe(`Bearer ${token}`);
    expect(upstream.handshakes.at(-1)?.['x-credential-identifier']).toBe(MACHINE_CLIENT_ID);
    expect((await roundTrip(socket, 'ping')).toString()).toBe('ping');
    socket.close();
  });

  it('counts an open socket as activity: the session outlives its idle timeout while the socket is open', async () => {
    const browser = await stack.signedIn('alice');
    const idle = await stack.signedIn('alice');
    const { socket } = opened(await asBrowser(browser));
    await sleep(4_500);
    const user = await browser.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' });
    expect(user.status).toBe(200);
    // The control: the same user's other session, with no socket, has reached its idle timeout.
    expect((await idle.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' })).status).toBe(401);
    socket.close();
  });

  it('closes the socket with 1008 and the reason on both sides when the user logs out', async () => {
    const browser = await stack.signedIn('alice');
    const { socket, closed } = opened(await asBrowser(browser));
    expect((await roundTrip(socket, 'before')).toString()).toBe('before');
    const closesBefore = upstream.closes.length;
    const user = JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' })).body) as { logoutUrl: string };
    const loggedOutAt = performance.now();
    await browser.get(`${stack.publicUrl}${user.logoutUrl}`);
    const close = await closed;
    expect(close.code).toBe(1008);
    expect(close.reason).toBe('session_revoked');
    expect(close.at - loggedOutAt).toBeLessThan(2_000);
    await sleep(200);
    expect(upstream.closes.slice(closesBefore)).toContainEqual({ code: 1008, reason: close.reason });
  });
});
