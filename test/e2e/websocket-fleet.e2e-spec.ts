import { setTimeout as sleep } from 'node:timers/promises';
import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { TEST_REDIS_URL } from '../support/test-redis';
import { openWebSocket, opened, roundTrip } from '../support/websocket-client';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

describe('WebSockets across two instances sharing one Redis', () => {
  let upstream: WebSocketUpstream;
  let fleet: BffFleet;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    fleet = await startBffFleet({
      redisEnv: { REDIS_URL: TEST_REDIS_URL },
      env: { UPSTREAM_URL: upstream.url, CONSUMER_AUTO_CREATE: 'true' },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
    await upstream?.stop();
  });

  const socketOn = async (instance: number, cookie: string | undefined) =>
    opened(await openWebSocket(`${fleet.urls[instance]}/api/feed`, { origin: fleet.publicUrl, cookie }));

  it('closes a socket on instance B within 2 s when an admin revokes the session through instance A', async () => {
    const browser = await fleet.signedIn('alice');
    const cookie = browser.cookieHeader(fleet.publicUrl);
    const { socket, closed } = await socketOn(1, cookie);
    expect((await roundTrip(socket, 'on B')).toString()).toBe('on B');

    const consumers = (await (await fleet.instances[0].admin('/consumers?username=alice')).json()) as { data: { id: string }[] };
    const revokedAt = performance.now();
    expect((await fleet.instances[0].admin(`/consumers/${consumers.data[0].id}/sessions`, { method: 'DELETE' })).status).toBe(204);

    const close = await closed;
    expect(close).toMatchObject({ code: 1008, reason: 'session_revoked' });
    expect(close.at - revokedAt).toBeLessThan(2_000);
  });

  it('closes every socket of the session on both instances when it logs out on one, and no other session\'s', async () => {
    const alice = await fleet.signedIn('alice');
    const bob = await fleet.signedIn('bob');
    const onA = await socketOn(0, alice.cookieHeader(fleet.publicUrl));
    const onB = await socketOn(1, alice.cookieHeader(fleet.publicUrl));
    const bobs = await socketOn(1, bob.cookieHeader(fleet.publicUrl));
    const user = JSON.parse((await alice.get(`${fleet.urls[0]}/auth/user`, { 'x-csrf': '1' })).body) as { logoutUrl: string };

    await alice.get(`${fleet.urls[0]}${user.logoutUrl}`);

    for (const { closed } of [onA, onB]) expect((await closed).code).toBe(1008);
    await sleep(300);
    expect((await roundTrip(bobs.socket, 'still here')).toString()).toBe('still here');
    bobs.socket.close();
  });
});

describe('WebSockets and the session\'s absolute timeout, and shutdown', () => {
  let upstream: WebSocketUpstream;
  let fleet: BffFleet;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    fleet = await startBffFleet({
      redisEnv: { REDIS_URL: TEST_REDIS_URL },
      instances: 1,
      // A grace period no test waits out: a shutdown that waited for open sockets would never end here.
      env: { UPSTREAM_URL: upstream.url, SESSION_IDLE_TIMEOUT: '3', SESSION_ABSOLUTE_TIMEOUT: '4', SHUTDOWN_GRACE_SECONDS: '3600' },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
    await upstream?.stop();
  });

  it('closes an open socket with 1008 session_expired when the session reaches its absolute timeout', async () => {
    const browser = await fleet.signedIn('alice');
    const { closed } = opened(await openWebSocket(`${fleet.urls[0]}/api/feed`, { origin: fleet.publicUrl, cookie: browser.cookieHeader(fleet.publicUrl) }));
    const close = await closed;
    expect(close).toMatchObject({ code: 1008, reason: 'session_expired' });
  });

  it('closes open sockets with 1001 when the instance shuts down, without waiting for the grace period', async () => {
    const browser = await fleet.signedIn('alice');
    const { closed } = opened(await openWebSocket(`${fleet.urls[0]}/api/feed`, { origin: fleet.publicUrl, cookie: browser.cookieHeader(fleet.publicUrl) }));
    await fleet.instances[0].close();
    expect((await closed).code).toBe(1001);
  });
});

describe('WebSockets and a refresh the IdP rejects', () => {
  const ttlSeconds = 12;
  const skewSeconds = 10;
  let upstream: WebSocketUpstream;
  let stack: LoginStack;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    stack = await startLoginStack({ UPSTREAM_URL: upstream.url, TOKEN_REFRESH_SKEW: String(skewSeconds) }, { accessTokenTtlSeconds: ttlSeconds });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('closes the session\'s socket with 1008 refresh_failed when a call of the session finds its grant revoked', async () => {
    const browser = await stack.signedIn('bob');
    const { closed } = opened(await openWebSocket(`${stack.publicUrl}/api/feed`, { origin: stack.publicUrl, cookie: browser.cookieHeader(stack.publicUrl) }));
    stack.idp.revokeGrantsOf('user-bob');
    await sleep((ttlSeconds - skewSeconds) * 1000 + 100);

    const call = await browser.get(`${stack.publicUrl}/api/anything`, { 'x-csrf': '1' });

    expect(JSON.parse(call.body)).toMatchObject({ error: 'refresh_failed' });
    expect(await closed).toMatchObject({ code: 1008, reason: 'refresh_failed' });
  });
});
