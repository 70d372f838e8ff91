import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Cluster } from 'ioredis';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { RedisConnection, type RedisClient } from '../redis/redis.connection';
import { consumerDeletedMessage, deletedConsumerOf, isConsumerDeletedMessage } from './consumer-deletion';
import type { Session } from './session.types';

/** How long a session read from Redis may serve further requests of this instance without another read. */
const MAX_TTL_MS = 1_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  session: Session;
  freshUntil: number;
}

/**
 * A very short-lived copy of the sessions this instance has just read, so that a burst of API calls costs one Redis
 * round trip (and one decryption) instead of one each.
 *
 * Revocation stays immediate on every instance: whatever ends or changes a session publishes its key hash on
 * `<prefix>session-events` in the same Lua script as the write, and every instance drops its copy on receipt. Redis
 * hands a PUBLISH to its subscribers before it answers the publisher, so no later request can beat the message.
 * While the subscription is not live (starting, reconnecting, Redis down) the cache is empty and off, so a message
 * that could not arrive never leaves a stale copy behind. A read that raced any invalidation is not cached at all.
 *
 * Off on Redis Cluster: there a PUBLISH reaches subscribers on other nodes through the cluster bus, after the
 * publisher's answer, which would leave a window for a revoked session.
 */
@Injectable()
export class SessionCache implements OnModuleInit, OnApplicationShutdown {
  readonly channel: string;
  private readonly ttlMs: number;
  private readonly entries = new Map<string, Entry>();
  /** When this instance last read each session from Redis, oldest first (admission: `admit`). */
  private readonly reads = new Map<string, number>();
  private subscriber: RedisClient | undefined;
  private live = false;
  /** Bumped by every invalidation: a read that began under an older epoch may have seen a session since ended. */
  private epoch = 0;
  private readonly watchers: ((keyHash: string | undefined) => void)[] = [];
  private readonly consumerWatchers: ((consumerId: string) => void)[] = [];
  /** Bumped by every consumer deletion, and whenever the subscription goes up or down (a deletion may go unheard). */
  private consumers = 0;

  constructor(
    private readonly redis: RedisConnection,
    @Inject(SESSION_CONFIG) config: SessionConfig,
  ) {
    this.channel = `${redis.prefix}session-events`;
    // A tenth of the idle timeout at most, so sliding the idle timeout on cache misses alone stays accurate.
    this.ttlMs = Math.min(MAX_TTL_MS, config.idleTimeoutSeconds * 100);
  }

  onModuleInit(): void {
    if (this.redis.client instanceof Cluster) return;
    const subscriber = this.redis.client.duplicate({ autoResubscribe: false, enableOfflineQueue: false });
    this.subscriber = subscriber;
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(
        () => this.goLive(),
        () => this.goDark(),
      );
    });
    subscriber.on('message', (_channel: string, message: string) => {
      if (isConsumerDeletedMessage(message)) {
        this.consumerDeleted(deletedConsumerOf(message));
        return;
      }
      this.drop(message);
      for (const watcher of this.watchers) watcher(message);
    });
    for (const event of ['close', 'end', 'reconnecting']) subscriber.on(event, () => this.goDark());
    // The main client already reports connection errors; an unhandled 'error' event would crash the process.
    subscriber.on('error', () => this.goDark());
  }

  onApplicationShutdown(): void {
    this.goDark();
    this.subscriber?.disconnect();
  }

  /** Whether session events arrive: while not, a watcher must look for ended sessions itself. */
  get isLive(): boolean {
    return this.live;
  }

  /**
   * Hears every session event of every instance: a key hash that ended or changed, or `undefined` when the
   * subscription has just (re)gone live and events in between may have been missed.
   */
  watch(watcher: (keyHash: string | undefined) => void): void {
    this.watchers.push(watcher);
  }

  /** Callers cached under an older consumer epoch may name a consumer deleted since (consumer-deletion.ts). */
  get consumerEpoch(): number {
    return this.consumers;
  }

  /** Hears every consumer deletion announced by any instance (this one's at once, and again as it comes back). */
  watchConsumerDeletions(watcher: (consumerId: string) => void): void {
    this.consumerWatchers.push(watcher);
  }

  /** Tells every instance, this one at once, to forget what it cached about consumers. */
  async announceConsumerDeleted(consumerId: string): Promise<void> {
    this.consumerDeleted(consumerId);
    await this.redis.run((client) => client.publish(this.channel, consumerDeletedMessage(consumerId)));
  }

  /** The epoch to hand back to `set` after reading from Redis. */
  get currentEpoch(): number {
    return this.epoch;
  }

  get(keyHash: string, now: number): Session | undefined {
    if (!this.live) return undefined;
    const entry = this.entries.get(keyHash);
    if (entry === undefined) return undefined;
    if (entry.freshUntil > now && entry.session.absoluteExpiresAt > now) return entry.session;
    this.entries.delete(keyHash);
    return undefined;
  }

  /**
   * Whether a session just read from Redis is worth keeping: only when this instance read it once before within a
   * cache lifetime. A copy of a session read once a second or less often is never served — with thousands of users
   * each calling every few seconds, that is nearly every read — yet each one (about 5 KB) outlives two young-generation
   * collections and is promoted to V8's old generation, which then grows by megabytes a second. A session in use
   * pays one more read, once a cache lifetime.
   */
  admit(keyHash: string, now: number): boolean {
    const last = this.reads.get(keyHash);
    this.reads.delete(keyHash);
    this.reads.set(keyHash, now);
    for (const [oldest, at] of this.reads) {
      if (now - at < this.ttlMs && this.reads.size <= MAX_ENTRIES) break;
      this.reads.delete(oldest);
    }
    return last !== undefined && now - last < this.ttlMs;
  }

  /** Keeps a session just read from Redis, unless anything was invalidated since the read began (`since`). */
  set(keyHash: string, session: Session, since: number, now: number): void {
    if (!this.live || since !== this.epoch || this.ttlMs <= 0) return;
    this.entries.delete(keyHash);
    this.entries.set(keyHash, { session, freshUntil: now + this.ttlMs });
    this.evict(now);
  }

  /** Forgets a session here; the Lua script that changed it has told the other instances. */
  drop(keyHash: string): void {
    this.epoch += 1;
    this.entries.delete(keyHash);
  }

  private consumerDeleted(consumerId: string): void {
    this.consumers += 1;
    for (const watcher of this.consumerWatchers) watcher(consumerId);
  }

  private goLive(): void {
    this.epoch += 1;
    this.consumers += 1;
    this.entries.clear();
    this.live = true;
    for (const watcher of this.watchers) watcher(undefined);
  }

  private goDark(): void {
    this.live = false;
    this.epoch += 1;
    this.consumers += 1;
    this.entries.clear();
    this.reads.clear();
  }

  /** Entries are kept in insertion order with one TTL, so the stale ones are always at the front. */
  private evict(now: number): void {
    for (const [keyHash, entry] of this.entries) {
      if (entry.freshUntil > now && this.entries.size <= MAX_ENTRIES) return;
      this.entries.delete(keyHash);
    }
  }
}
