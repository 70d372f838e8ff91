import type { RedisConnection } from '../redis/redis.connection';
import { WriteBatching } from '../redis/write-batching';
import { SLIDE_IDLE } from './session-scripts';
import type { SessionKeys } from './session.keys';
import type { SessionEndReason } from './session.errors';

/** Slide the idle timeout at most once per this share of it (and at least once a minute), as mod_auth_openidc does. */
const SLIDE_FRACTION = 10;
const MAX_SLIDE_INTERVAL_MS = 60_000;

export type SessionRecord =
  | { status: 'active'; sealed: Buffer; version: number; absoluteExpiresAt: number; idleExpiresAt: number }
  | { status: 'ended'; reason: Exclude<SessionEndReason, 'refresh_failed'> };

/**
 * A session's hash in Redis as the request path reads it: one plain `HMGET` (a Lua script cost Redis five times the
 * CPU, on every call). The idle timeout is the key's own TTL, slid by a separate write only when the last slide (the
 * `s` field) is older than a tenth of SESSION_IDLE_TIMEOUT (a minute at most): a session in constant use is written
 * once a minute at most, and one left alone ends between that much before and exactly SESSION_IDLE_TIMEOUT after its
 * last call. The absolute timeout stays exact: checked here, and no slide takes the key past it.
 */
export class SessionRecords {
  private readonly slideAfterMs: number;
  private readonly batching: WriteBatching;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: SessionKeys,
    private readonly idleMs: number,
  ) {
    this.slideAfterMs = Math.min(idleMs / SLIDE_FRACTION, MAX_SLIDE_INTERVAL_MS);
    this.batching = new WriteBatching(redis.client);
  }

  defineCommands(): void {
    this.redis.client.defineCommand('bffSlideIdle', { numberOfKeys: 1, lua: SLIDE_IDLE });
  }

  async read(keyHash: string, now: number): Promise<SessionRecord> {
    const key = this.keys.session(keyHash);
    this.batching.hold();
    const [sealed, version, absolute, seen] = await this.redis.run(() => this.redis.client.hmgetBuffer(key, 'd', 'v', 'a', 's'));
    if (!sealed) return this.missing(keyHash);
    if (!version || !absolute) return { status: 'ended', reason: 'session_expired' };
    const absoluteExpiresAt = Number(absolute.toString('latin1'));
    // The key itself expires then too (no slide passes it); this covers the moment before Redis evicts it.
    if (!(now < absoluteExpiresAt)) return { status: 'ended', reason: 'session_expired' };
    // No `s` (never the case for a session this code wrote): slid now, which writes it.
    let slidAt = seen ? Number(seen.toString('latin1')) : Number.NaN;
    // A tenth away in either direction: a last slide far in our future was written by an instance whose clock runs
    // ahead, and waiting for our clock to pass it could end a session in use (the key's TTL ran from the real slide).
    if (!(Math.abs(now - slidAt) < this.slideAfterMs)) {
      this.slide(key, now, absoluteExpiresAt);
      slidAt = now;
    }
    return {
      status: 'active',
      sealed,
      version: Number(version.toString('latin1')),
      absoluteExpiresAt,
      idleExpiresAt: Math.min(slidAt + this.idleMs, absoluteExpiresAt),
    };
  }

  /** Gone: revoked (a tombstone says so until its absolute timeout), else expired or never there. Off the common path. */
  private async missing(keyHash: string): Promise<SessionRecord> {
    const revoked = await this.redis.run(() => this.redis.client.exists(this.keys.tombstone(keyHash)));
    return { status: 'ended', reason: revoked === 1 ? 'session_revoked' : 'session_expired' };
  }

  /** Not awaited: the call it came with goes on. A failure is counted by `run` and leaves the older idle expiry. */
  private slide(key: string, now: number, absoluteExpiresAt: number): void {
    const ttl = Math.min(this.idleMs, absoluteExpiresAt - now);
    this.batching.hold();
    this.redis.run(() => this.redis.client.bffSlideIdle(key, now, ttl)).catch(() => undefined);
  }
}
