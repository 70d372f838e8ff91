import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisConnection } from '../redis/redis.connection';
import { THROTTLE_HIT } from './throttle-script';

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export interface HitRule {
  windowMs: number;
  /** The hit that blocks: `limit + 1` for "at most `limit` per window", `n` for "blocked after n failures". */
  blockAt: number;
  blockMs: number;
}

const WARN_EVERY_MS = 10_000;

/**
 * Rate-limit counters in the shared Redis, so every instance enforces one limit. Keys are `<prefix>throttle:{<key>}`
 * (the key is already a digest: no client address is stored). When Redis fails the limiter fails open — a limit is
 * not worth refusing service over — and says so in the log, at most every ten seconds.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private lastWarning = 0;

  constructor(private readonly redis: RedisConnection) {
    redis.client.defineCommand('bffThrottleHit', { numberOfKeys: 2, lua: THROTTLE_HIT });
  }

  /** @nestjs/throttler's contract: `ttl` and `blockDuration` in ms; at most `limit` hits per window pass. */
  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    return this.hit(key, { windowMs: ttl, blockAt: limit + 1, blockMs: blockDuration }, throttlerName);
  }

  async hit(key: string, rule: HitRule, scope: string): Promise<ThrottlerStorageRecord> {
    try {
      const [hits = 0, windowLeft = 0, blockLeft = 0] = await this.redis.run((client) =>
        client.bffThrottleHit(this.hitsKey(key), this.blockKey(key), rule.windowMs, rule.blockAt, rule.blockMs),
      );
      return { totalHits: hits, timeToExpire: seconds(windowLeft), isBlocked: blockLeft > 0, timeToBlockExpire: seconds(blockLeft) };
    } catch (error: unknown) {
      this.failOpen(error, scope);
      return { totalHits: 0, timeToExpire: seconds(rule.windowMs), isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  /** Milliseconds left on the key's block; 0 when it is not blocked (or Redis cannot say). */
  async blockedFor(key: string, scope: string): Promise<number> {
    try {
      return Math.max(0, await this.redis.run((client) => client.pttl(this.blockKey(key))));
    } catch (error: unknown) {
      this.failOpen(error, scope);
      return 0;
    }
  }

  private hitsKey(key: string): string {
    return this.redis.key('throttle', `{${key}}`);
  }

  private blockKey(key: string): string {
    return this.redis.key('throttle', `{${key}}`, 'blocked');
  }

  private failOpen(error: unknown, scope: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    this.logger.warn({ scope, reason }, 'rate limit not enforced: Redis is unavailable');
  }
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
