import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { RedisConnection } from '../redis/redis.connection';
import { SessionKeys } from './session.keys';
import type { SessionMeta, SessionSummary } from './session.types';

/**
 * The vault seen from outside: a consumer's sessions for the admin API, and the active-session count for metrics,
 * both read from the clear metadata and indexes beside the sealed contents (nothing is decrypted).
 */
@Injectable()
export class SessionListing implements OnModuleInit {
  private readonly keys: SessionKeys;
  private readonly idleMs: number;

  constructor(
    private readonly redis: RedisConnection,
    @Inject(SESSION_CONFIG) config: SessionConfig,
    private readonly metrics: MetricsService,
  ) {
    this.keys = new SessionKeys(redis.prefix);
    this.idleMs = config.idleTimeoutSeconds * 1000;
  }

  onModuleInit(): void {
    this.metrics.countActiveSessionsWith(async () => {
      await this.redis.client.zremrangebyscore(this.keys.all(), '-inf', Date.now());
      return this.redis.client.zcard(this.keys.all());
    });
  }

  async listByConsumer(consumerId: string): Promise<SessionSummary[]> {
    const index = this.keys.byConsumer(consumerId);
    return this.redis.run(async () => {
      const hashes = await this.redis.client.zrangebyscore(index, Date.now(), '+inf');
      const rows = await Promise.all(hashes.map((keyHash) => this.redis.client.hmget(this.keys.session(keyHash), 'm', 's', 'b')));
      const summaries: SessionSummary[] = [];
      rows.forEach(([metaJson, lastSeen, boundAt], position) => {
        const meta = metaJson ? parseMeta(metaJson) : undefined;
        if (!meta || !lastSeen) {
          void this.redis.client.zrem(index, hashes[position] ?? '').catch(() => 0);
          return;
        }
        summaries.push({
          id: meta.handle,
          created_at: new Date(meta.createdAt).toISOString(),
          last_seen_at: new Date(Number(lastSeen)).toISOString(),
          expires_at: new Date(Math.min(Number(lastSeen) + this.idleMs, meta.absoluteExpiresAt)).toISOString(),
          user_agent: meta.userAgent ?? null,
          device_bound: boundAt !== null && boundAt !== undefined,
        });
      });
      return summaries;
    });
  }
}

function parseMeta(json: string): SessionMeta | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const meta = value as Partial<Record<keyof SessionMeta, unknown>>;
    if (typeof meta.handle !== 'string' || typeof meta.createdAt !== 'number' || typeof meta.absoluteExpiresAt !== 'number') {
      return undefined;
    }
    return {
      handle: meta.handle,
      sub: typeof meta.sub === 'string' ? meta.sub : '',
      consumerId: typeof meta.consumerId === 'string' ? meta.consumerId : null,
      createdAt: meta.createdAt,
      absoluteExpiresAt: meta.absoluteExpiresAt,
      userAgent: typeof meta.userAgent === 'string' ? meta.userAgent : undefined,
    };
  } catch {
    return undefined;
  }
}
