import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { InFlight } from '../common/in-flight';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { RedisConnection } from '../redis/redis.connection';
import { Tracing } from '../tracing/tracing';
import { SessionCache } from './session-cache';
import { updateContentsFenced, type ContentsChange, type FencedUpdate } from './fenced-update';
import { DESTROY_SESSION, INDEX_ADD, REPLACE_CONTENTS_IF_VERSION } from './session-scripts';
import { SessionRecords } from './session-record';
import { SessionKeys, sessionHandle } from './session.keys';
import type { Session, SessionLookup, SessionMeta, VaultContents } from './session.types';
import { hashSessionId, newSessionId, TokenCrypto } from './token-crypto';
import { decodeVaultContents, encodeVaultContents } from './vault-contents.codec';

/**
 * The token vault: sessions in Redis, contents sealed per session, indexed by sub, sid and consumer. Listing them for
 * the admin API is SessionListing's; the refresh lease is TokenRefresher's.
 */
@Injectable()
export class SessionStore implements OnModuleInit {
  private readonly keys: SessionKeys;
  private readonly records: SessionRecords;
  private readonly crypto: TokenCrypto;
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly reading = new InFlight<SessionLookup>();
  private readonly cacheHits: { inc(): void } | undefined;
  private readonly cacheMisses: { inc(): void } | undefined;

  constructor(
    private readonly redis: RedisConnection,
    @Inject(SESSION_CONFIG) config: SessionConfig,
    private readonly cache: SessionCache,
    @Optional() private readonly tracing: Tracing = Tracing.off(),
    @Optional() metrics?: MetricsService,
  ) {
    this.keys = new SessionKeys(redis.prefix);
    this.crypto = new TokenCrypto(config.encryptionKeys);
    this.idleMs = config.idleTimeoutSeconds * 1000;
    this.absoluteMs = config.absoluteTimeoutSeconds * 1000;
    this.records = new SessionRecords(redis, this.keys, this.idleMs);
    this.cacheHits = metrics?.sessionCacheLookups.labels('hit');
    this.cacheMisses = metrics?.sessionCacheLookups.labels('miss');
  }

  onModuleInit(): void {
    const client = this.redis.client;
    this.records.defineCommands();
    client.defineCommand('bffReplaceContents', { numberOfKeys: 1, lua: REPLACE_CONTENTS_IF_VERSION });
    client.defineCommand('bffDestroySession', { numberOfKeys: 2, lua: DESTROY_SESSION });
    client.defineCommand('bffIndexAdd', { numberOfKeys: 1, lua: INDEX_ADD });
  }

  /** Stores a new session under a fresh id (never a caller-chosen one: no fixation) and returns that id for the cookie. */
  async create(contents: VaultContents, userAgent?: string): Promise<{ sessionId: string; session: Session }> {
    const sessionId = newSessionId();
    const keyHash = hashSessionId(sessionId);
    const now = Date.now();
    const absoluteExpiresAt = now + this.absoluteMs;
    const ttl = Math.min(this.idleMs, this.absoluteMs);
    const meta: SessionMeta = {
      handle: sessionHandle(keyHash),
      sub: contents.sub,
      consumerId: contents.identity.consumer?.id ?? null,
      createdAt: now,
      absoluteExpiresAt,
      userAgent: userAgent?.slice(0, 256),
    };
    const key = this.keys.session(keyHash);
    await this.redis.run(async () => {
      await this.redis.client
        .multi()
        .hset(key, { d: this.seal(sessionId, contents), v: 1, a: absoluteExpiresAt, s: now, m: JSON.stringify(meta) })
        .pexpire(key, ttl)
        .exec();
      await Promise.all(
        this.indexKeys(contents).map((index) => this.redis.client.bffIndexAdd(index, absoluteExpiresAt, keyHash, now)),
      );
    });
    return { sessionId, session: { keyHash, contents, version: 1, absoluteExpiresAt, idleExpiresAt: now + ttl } };
  }

  /** A session this instance read from Redis a moment ago (SessionCache), or undefined; no I/O. */
  cachedSession(sessionId: string): Session | undefined {
    const session = this.cache.get(hashSessionId(sessionId), Date.now());
    // A miss here is counted by the lookupCached that follows it.
    if (session) this.cacheHits?.inc();
    return session;
  }

  /**
   * The request path's read: a session this instance read from Redis within the last moment (SessionCache), else
   * `lookup`. Ended and refreshed sessions are dropped from every instance's cache as they change.
   */
  lookupCached(sessionId: string): Promise<SessionLookup> {
    const keyHash = hashSessionId(sessionId);
    const now = Date.now();
    const cached = this.cache.get(keyHash, now);
    if (cached) {
      this.cacheHits?.inc();
      return Promise.resolve({ status: 'active', session: cached });
    }
    this.cacheMisses?.inc();
    const since = this.cache.currentEpoch;
    // Concurrent calls of one session share one read, unless something was invalidated since it began.
    return this.reading.run(
      keyHash,
      () =>
        this.read(sessionId, keyHash, now).then((result) => {
          if (result.status === 'active' && this.cache.admit(keyHash, now)) this.cache.set(keyHash, result.session, since, now);
          return result;
        }),
      since,
    );
  }

  /** Reads a session from Redis (sliding its idle timeout when due: SessionRecords). */
  lookup(sessionId: string): Promise<SessionLookup> {
    return this.read(sessionId, hashSessionId(sessionId), Date.now());
  }

  private read(sessionId: string, keyHash: string, now: number): Promise<SessionLookup> {
    return this.tracing.span('session.lookup', () => this.readFromRedis(sessionId, keyHash, now));
  }

  private async readFromRedis(sessionId: string, keyHash: string, now: number): Promise<SessionLookup> {
    const record = await this.records.read(keyHash, now);
    if (record.status === 'ended') return record;
    const contents = this.unseal(sessionId, record.sealed);
    // A key no longer in TOKEN_ENCRYPTION_KEYS (or tampering) makes the session unreadable: treated as logged out.
    if (!contents) return { status: 'ended', reason: 'session_expired' };
    const { version, absoluteExpiresAt, idleExpiresAt } = record;
    return { status: 'active', session: { keyHash, contents, version, absoluteExpiresAt, idleExpiresAt } };
  }

  /** Writes new contents only if nobody wrote since `session.version` was read (the fencing check of a refresh). */
  async replaceContents(sessionId: string, session: Session, contents: VaultContents): Promise<Session | undefined> {
    const { keyHash } = session;
    const next = await this.redis.run(() =>
      this.redis.client.bffReplaceContents(this.keys.session(keyHash), session.version, this.seal(sessionId, contents), this.cache.channel, keyHash),
    );
    if (next === 0) return undefined;
    this.cache.drop(keyHash);
    return { ...session, contents, version: next };
  }

  /** `change` applied to the stored contents, again on what another writer stored when it got in first (fenced-update.ts). */
  updateContents(sessionId: string, seen: Session, change: ContentsChange): Promise<FencedUpdate> {
    return updateContentsFenced(this, sessionId, seen, change);
  }

  /** Where the session's refresh lease lives (RedisLease): beside the session, in its Cluster slot. */
  refreshLeaseKey(keyHash: string): string {
    return this.keys.refreshLock(keyHash);
  }

  /** Where the lease of one token exchange of the session lives: beside the session, in its Cluster slot. */
  exchangeLeaseKey(keyHash: string, target: string): string {
    return this.keys.exchangeLock(keyHash, target);
  }

  async destroy(sessionId: string, revoked = false): Promise<boolean> {
    return this.destroyByKeyHash(hashSessionId(sessionId), revoked);
  }

  async destroyBySub(sub: string): Promise<number> {
    return this.destroyIndexed(this.keys.bySub(sub));
  }

  async destroyBySid(sid: string): Promise<number> {
    return this.destroyIndexed(this.keys.bySid(sid));
  }

  async destroyByConsumer(consumerId: string): Promise<number> {
    return this.destroyIndexed(this.keys.byConsumer(consumerId));
  }

  private async destroyByKeyHash(keyHash: string, revoked: boolean): Promise<boolean> {
    let deleted: number;
    try {
      deleted = await this.redis.run(() =>
        this.redis.client.bffDestroySession(
          this.keys.session(keyHash),
          this.keys.tombstone(keyHash),
          Date.now(),
          revoked ? '1' : '0',
          this.cache.channel,
          keyHash,
        ),
      );
    } finally {
      // Even when the answer was lost: the script may have run, and a copy here must not outlive the session.
      this.cache.drop(keyHash);
    }
    await this.redis.client.zrem(this.keys.all(), keyHash).catch(() => 0);
    return deleted === 1;
  }

  private async destroyIndexed(index: string): Promise<number> {
    const hashes = await this.redis.run(() => this.redis.client.zrange(index, 0, -1));
    const results = await Promise.all(hashes.map((keyHash) => this.destroyByKeyHash(keyHash, true)));
    // Only the members ended here: a session indexed meanwhile keeps its entry, so a later revocation finds it.
    if (hashes.length > 0) await this.redis.run(() => this.redis.client.zrem(index, ...hashes));
    return results.filter(Boolean).length;
  }

  private indexKeys(contents: VaultContents): string[] {
    const keys = [this.keys.bySub(contents.sub), this.keys.all()];
    if (contents.sid) keys.push(this.keys.bySid(contents.sid));
    if (contents.identity.consumer) keys.push(this.keys.byConsumer(contents.identity.consumer.id));
    return keys;
  }

  private seal(sessionId: string, contents: VaultContents): Buffer {
    return this.crypto.encrypt(encodeVaultContents(contents), sessionId);
  }

  private unseal(sessionId: string, sealed: Buffer): VaultContents | undefined {
    const plaintext = this.crypto.decrypt(sealed, sessionId);
    return plaintext ? decodeVaultContents(plaintext) : undefined;
  }
}
