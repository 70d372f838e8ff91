import { EventEmitter } from 'node:events';
import type { SessionConfig } from '../config/app-config';
import type { RedisConnection } from '../redis/redis.connection';
import { SessionCache } from './session-cache';
import type { Session } from './session.types';
import { identityWith } from '../../test/support/caller-identity';

/** Stands in for the duplicated ioredis connection: events are emitted by the test. */
class FakeSubscriber extends EventEmitter {
  subscribed: string[] = [];
  disconnected = false;
  failSubscribe = false;

  subscribe(channel: string): Promise<number> {
    if (this.failSubscribe) return Promise.reject(new Error('connection is closed'));
    this.subscribed.push(channel);
    return Promise.resolve(1);
  }

  disconnect(): void {
    this.disconnected = true;
  }
}

const T0 = 1_000_000;

function session(keyHash: string, absoluteExpiresAt = T0 + 3_600_000): Session {
  return {
    keyHash,
    contents: { accessToken: 'at', accessTokenExpiresAt: T0 + 300_000, sub: 'user-1', identity: identityWith() },
    version: 1,
    absoluteExpiresAt,
    idleExpiresAt: T0 + 1_800_000,
  };
}

function setUp(idleTimeoutSeconds = 1800): { sut: SessionCache; subscriber: FakeSubscriber } {
  const subscriber = new FakeSubscriber();
  const redis = { prefix: 'bff:', client: { duplicate: () => subscriber } } as unknown as RedisConnection;
  const sut = new SessionCache(redis, { idleTimeoutSeconds } as SessionConfig);
  sut.onModuleInit();
  return { sut, subscriber };
}

async function live(subscriber: FakeSubscriber): Promise<void> {
  subscriber.emit('ready');
  await Promise.resolve();
  await Promise.resolve();
}

describe('SessionCache', () => {
  it('subscribes to the prefix channel and serves nothing until that subscription is live', async () => {
    const { sut, subscriber } = setUp();
    sut.set('h1', session('h1'), sut.currentEpoch, T0);

    expect(sut.get('h1', T0)).toBeUndefined();
    await live(subscriber);
    expect(subscriber.subscribed).toEqual(['bff:session-events']);
    expect(sut.isLive).toBe(true);
  });

  it('serves a session read from Redis for one second, then asks Redis again', async () => {
    const { sut, subscriber } = setUp();
    await live(subscriber);
    const stored = session('h1');

    sut.set('h1', stored, sut.currentEpoch, T0);

    expect(sut.get('h1', T0 + 999)).toBe(stored);
    expect(sut.get('h1', T0 + 1000)).toBeUndefined();
  });

  it('keeps a session for a tenth of a short idle timeout at most', async () => {
    const { sut, subscriber } = setUp(2);
    await live(subscriber);

    sut.set('h1', session('h1'), sut.currentEpoch, T0);

    expect(sut.get('h1', T0 + 199)).toBeDefined();
    expect(sut.get('h1', T0 + 200)).toBeUndefined();
  });

  it('never serves a session past its absolute timeout', async () => {
    const { sut, subscriber } = setUp();
    await live(subscriber);

    sut.set('h1', session('h1', T0 + 10), sut.currentEpoch, T0);

    expect(sut.get('h1', T0 + 9)).toBeDefined();
    expect(sut.get('h1', T0 + 10)).toBeUndefined();
  });

  it('drops a session when another instance announces that it ended or changed', async () => {
    const { sut, subscriber } = setUp();
    await live(subscriber);
    sut.set('h1', session('h1'), sut.currentEpoch, T0);
    sut.set('h2', session('h2'), sut.currentEpoch, T0);

    subscriber.emit('message', 'bff:session-events', 'h1');

    expect(sut.get('h1', T0)).toBeUndefined();
    expect(sut.get('h2', T0)).toBeDefined();
  });

  it('does not keep a read that began before an invalidation, which may have seen a session since revoked', async () => {
    const { sut, subscriber } = setUp();
    await live(subscriber);
    const since = sut.currentEpoch;

    sut.drop('other-session');
    sut.set('h1', session('h1'), since, T0);

    expect(sut.get('h1', T0)).toBeUndefined();
  });

  it('empties itself and stays off while the subscription is down, then starts empty once it is back', async () => {
    const { sut, subscriber } = setUp();
    await live(subscriber);
    sut.set('h1', session('h1'), sut.currentEpoch, T0);

    subscriber.emit('close');
    expect(sut.isLive).toBe(false);
    sut.set('h2', session('h2'), sut.currentEpoch, T0);
    expect(sut.get('h2', T0)).toBeUndefined();

    await live(subscriber);
    expect(sut.get('h1', T0)).toBeUndefined();
  });

  it('stays off when subscribing fails, and never throws on connection errors', async () => {
    const { sut, subscriber } = setUp();
    subscriber.failSubscribe = true;

    await live(subscriber);
    subscriber.emit('error', new Error('ECONNREFUSED'));

    expect(sut.isLive).toBe(false);
  });

  it('does not keep reads that began while the subscription was down', async () => {
    const { sut, subscriber } = setUp();
    const since = sut.currentEpoch;
    await live(subscriber);

    sut.set('h1', session('h1'), since, T0);

    expect(sut.get('h1', T0)).toBeUndefined();
  });

  it('admits a session read from Redis only when it was read once before within a cache lifetime', async () => {
    const { sut, subscriber } = setUp();
    await live(subscriber);

    expect(sut.admit('h1', T0)).toBe(false);
    expect(sut.admit('h1', T0 + 999)).toBe(true);
    expect(sut.admit('h2', T0 + 1000)).toBe(false);
    expect(sut.admit('h2', T0 + 2500)).toBe(false);
    expect(sut.admit('h1', T0 + 2500)).toBe(false);
  });

  it('closes its connection at shutdown', async () => {
    const { sut, subscriber } = setUp();
    await live(subscriber);

    sut.onApplicationShutdown();

    expect([subscriber.disconnected, sut.isLive]).toEqual([true, false]);
  });
});
