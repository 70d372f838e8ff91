import { setTimeout as sleep } from 'node:timers/promises';
import { MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET } from '../../dev/idp/idp-clients';
import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import { TEST_REDIS_URL } from '../support/test-redis';
import { openWebSocket, opened, roundTrip, type Connected } from '../support/websocket-client';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

const BASIC = `Basic ${Buffer.from(`${MACHINE_CLIENT_ID}:${MACHINE_CLIENT_SECRET}`).toString('base64')}`;
/** The contract's bound: a socket ends within 2 s of its credential. */
const WITHIN_MS = 2_000;

function expiryOf(token: string): number {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number };
  return claims.exp * 1000;
}

/** When a close happened, on the epoch clock the token's `exp` is on. */
const epochOf = (close: { at: number }) => performance.timeOrigin + close.at;

describe('a token WebSocket ends when its token expires, on every instance', () => {
  const ttlSeconds = 4;
  let upstream: WebSocketUpstream;
  let fleet: BffFleet;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    fleet = await startBffFleet({ redisEnv: { REDIS_URL: TEST_REDIS_URL }, accessTokenTtlSeconds: ttlSeconds, env: { UPSTREAM_URL: upstream.url } });
  });
  afterAll(async () => {
    await fleet?.stop();
    await upstream?.stop();
  });

  it.each([0, 1])('closes a bearer socket on instance %i with 1008 token_expired within 2 s of the token\'s exp, both sides', async (instance) => {
    const { access_token: token } = await fleet.idp.issueClientCredentialsToken();
    const { socket, closed } = opened(await openWebSocket(`${fleet.urls[instance]}/api/feed`, { headers: { authorization: `Bearer ${token}` } }));
    expect((await roundTrip(socket, 'before exp')).toString()).toBe('before exp');
    const closesBefore = upstream.closes.length;

    const close = await closed;

    expect(close).toMatchObject({ code: 1008, reason: 'token_expired' });
    expect(epochOf(close)).toBeGreaterThanOrEqual(expiryOf(token) - 50);
    expect(epochOf(close) - expiryOf(token)).toBeLessThan(WITHIN_MS);
    await sleep(100);
    expect(upstream.closes.slice(closesBefore)).toContainEqual({ code: 1008, reason: 'token_expired' });
  });

  it('closes a Basic client-credentials socket with 1008 token_expired once the token it was exchanged for expires', async () => {
    const openedAt = Date.now();
    const { socket, closed } = opened(await openWebSocket(`${fleet.urls[1]}/api/feed`, { headers: { authorization: BASIC } }));
    expect((await roundTrip(socket, 'before exp')).toString()).toBe('before exp');
    const handshake = upstream.handshakes.at(-1) ?? {};
    const token = String(handshake['authorization']).replace(/^Bearer /, '');

    const close = await closed;

    expect(close).toMatchObject({ code: 1008, reason: 'token_expired' });
    expect(expiryOf(token)).toBeGreaterThan(openedAt);
    expect(epochOf(close) - expiryOf(token)).toBeLessThan(WITHIN_MS);
  });
});

describe('a token WebSocket ends when its consumer is deleted, on every instance', () => {
  let upstream: WebSocketUpstream;
  let fleet: BffFleet;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    fleet = await startBffFleet({ redisEnv: { REDIS_URL: TEST_REDIS_URL }, env: { UPSTREAM_URL: upstream.url } });
  });
  afterAll(async () => {
    await fleet?.stop();
    await upstream?.stop();
  });

  it('closes bearer and Basic sockets of the consumer on both instances with 1008 consumer_deleted within 2 s', async () => {
    const created = await fleet.instances[0].admin('/consumers', { method: 'POST', body: JSON.stringify({ custom_id: MACHINE_CLIENT_ID }) });
    const consumer = (await created.json()) as { id: string };
    const { access_token: token } = await fleet.idp.issueClientCredentialsToken();
    const sockets: Connected[] = [];
    for (const url of fleet.urls) {
      for (const authorization of [`Bearer ${token}`, BASIC]) {
        const socket = opened(await openWebSocket(`${url}/api/feed`, { headers: { authorization } }));
        expect(upstream.handshakes.at(-1)?.['x-consumer-id']).toBe(consumer.id);
        sockets.push(socket);
      }
    }
    // The control: a browser's socket, of a session mapped to no consumer, stays open.
    const alice = await fleet.signedIn('alice');
    const browserSocket = opened(await openWebSocket(`${fleet.urls[1]}/api/feed`, { origin: fleet.publicUrl, cookie: alice.cookieHeader(fleet.publicUrl) }));

    const deletedAt = performance.now();
    expect((await fleet.instances[0].admin(`/consumers/${consumer.id}`, { method: 'DELETE' })).status).toBe(204);

    for (const { closed } of sockets) {
      const close = await closed;
      expect(close).toMatchObject({ code: 1008, reason: 'consumer_deleted' });
      expect(close.at - deletedAt).toBeLessThan(WITHIN_MS);
    }
    expect((await roundTrip(browserSocket.socket, 'still here')).toString()).toBe('still here');
    browserSocket.socket.close();
  });

  it('lets a token socket whose caller maps to no consumer live on when some consumer is deleted', async () => {
    const other = (await (await fleet.instances[0].admin('/consumers', { method: 'POST', body: JSON.stringify({ username: 'unrelated' }) })).json()) as { id: string };
    const { access_token: token } = await fleet.idp.issueClientCredentialsToken();
    const { socket } = opened(await openWebSocket(`${fleet.urls[1]}/api/feed`, { headers: { authorization: `Bearer ${token}` } }));
    expect((await fleet.instances[0].admin(`/consumers/${other.id}`, { method: 'DELETE' })).status).toBe(204);
    await sleep(300);
    expect((await roundTrip(socket, 'still here')).toString()).toBe('still here');
    socket.close();
  });
});
