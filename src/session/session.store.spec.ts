import { randomBytes } from 'node:crypto';
import type { SessionConfig } from '../config/app-config';
import type { RedisConnection } from '../redis/redis.connection';
import type { SessionCache } from './session-cache';
import { SessionStore } from './session.store';
import type { Session, VaultContents } from './session.types';
import { hashSessionId, newSessionId, TokenCrypto } from './token-crypto';
import { identityWith } from '../../test/support/caller-identity';

const key = randomBytes(32);
const contents: VaultContents = { accessToken: 'at', accessTokenExpiresAt: Date.now() + 300_000, sub: 'user-1', identity: identityWith() };

/** Redis answering the session read by hand, so a test decides when each read completes. */
class FakeRedis {
  readonly prefix = 'bff:';
  readonly reads: ((reply: (Buffer | null)[]) => void)[] = [];
  readonly client = {
    hmgetBuffer: () => new Promise<(Buffer | null)[]>((resolve) => this.reads.push(resolve)),
  };

  run<T>(operation: (client: FakeRedis['client']) => Promise<T>): Promise<T> {
    return operation(this.client);
  }

  answerActive(index: number, sessionId: string): void {
    const sealed = new TokenCrypto([key]).encrypt(JSON.stringify(contents), sessionId);
    this.reads[index]?.([sealed, Buffer.from('1'), Buffer.from(String(Date.now() + 3_600_000)), Buffer.from(String(Date.now()))]);
  }
}

/** The cache's rules (live, epochs) without Redis pub/sub. */
class FakeCache {
  epoch = 0;
  readonly stored = new Map<string, Session>();

  get currentEpoch(): number {
    return this.epoch;
  }

  get(keyHash: string): Session | undefined {
    return this.stored.get(keyHash);
  }

  /** Admission (a second read within a cache lifetime) is SessionCache's own rule, tested there. */
  admit(): boolean {
    return true;
  }

  set(keyHash: string, session: Session, since: number): void {
    if (since === this.epoch) this.stored.set(keyHash, session);
  }

  drop(keyHash: string): void {
    this.epoch += 1;
    this.stored.delete(keyHash);
  }
}

function setUp(): { sut: SessionStore; redis: FakeRedis; cache: FakeCache } {
  const redis = new FakeRedis();
  const cache = new FakeCache();
  const config = { encryptionKeys: [key], idleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 28800 } as SessionConfig;
  const sut = new SessionStore(redis as unknown as RedisConnection, config, cache as unknown as SessionCache);
  return { sut, redis, cache };
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await Promise.resolve();
}

describe('SessionStore.lookupCached', () => {
  const sessionId = newSessionId();

  it('makes one Redis read for concurrent calls of one session, and none while the copy is fresh', async () => {
    const { sut, redis } = setUp();

    const calls = [sut.lookupCached(sessionId), sut.lookupCached(sessionId), sut.lookupCached(sessionId)];
    redis.answerActive(0, sessionId);
    const results = await Promise.all(calls);
    await sut.lookupCached(sessionId);

    expect(redis.reads).toHaveLength(1);
    expect(results.map((result) => result.status)).toEqual(['active', 'active', 'active']);
  });

  it('does not let a call that comes after an invalidation share a read that began before it', async () => {
    const { sut, redis, cache } = setUp();
    const early = sut.lookupCached(sessionId);

    cache.drop(hashSessionId(sessionId));
    const late = sut.lookupCached(sessionId);
    redis.answerActive(0, sessionId);
    redis.answerActive(1, sessionId);
    await Promise.all([early, late]);

    expect(redis.reads).toHaveLength(2);
  });

  it('keeps the read of the later call, not the stale one, once both are done', async () => {
    const { sut, redis, cache } = setUp();
    const keyHash = hashSessionId(sessionId);
    const early = sut.lookupCached(sessionId);
    cache.drop(keyHash);
    const late = sut.lookupCached(sessionId);

    redis.answerActive(1, sessionId);
    await late;
    await settle();
    const afterLate = cache.stored.get(keyHash);
    redis.answerActive(0, sessionId);
    await early;

    expect(afterLate).toBeDefined();
    expect(cache.stored.get(keyHash)).toBe(afterLate);
  });
});
