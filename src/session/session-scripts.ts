import type { Result } from 'ioredis';

/**
 * Lua scripts keep each session operation to one round trip and atomic. Every script touches only keys sharing the
 * session's hash tag (`{<hash>}`), so they run unchanged on Redis Cluster.
 *
 * Session hash fields: d = sealed vault contents, v = version (fencing for refresh), a = absolute expiry (ms),
 * s = when the idle timeout was last slid (ms; SessionRecords), m = clear metadata JSON (listing without decrypting).
 */

/**
 * KEYS: session. ARGV: now ms, idle TTL ms (never past the absolute timeout). Slides the idle timeout of a session
 * that still exists (never recreating one that ended meanwhile) and records when (s). → 1 when slid.
 */
export const SLIDE_IDLE = `
if redis.call('PEXPIRE', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[1])
return 1
`;

/**
 * KEYS: session. ARGV: expected version, new sealed contents, session-events channel, key hash.
 * → new version, or 0 when someone else wrote first. Tells every instance to drop its cached copy (SessionCache).
 */
export const REPLACE_CONTENTS_IF_VERSION = `
local v = redis.call('HGET', KEYS[1], 'v')
if not v or v ~= ARGV[1] then return 0 end
local next = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'v', next)
redis.call('PUBLISH', ARGV[3], ARGV[4])
return next
`;

/**
 * KEYS: session, tombstone. ARGV: now ms, 1 to leave a "revoked" tombstone, session-events channel, key hash.
 * → 1 when a session was deleted. Tells every instance to drop its cached copy (SessionCache).
 */
export const DESTROY_SESSION = `
local absolute = tonumber(redis.call('HGET', KEYS[1], 'a'))
if not absolute then return 0 end
redis.call('DEL', KEYS[1])
local remaining = absolute - tonumber(ARGV[1])
if ARGV[2] == '1' and remaining > 0 then redis.call('SET', KEYS[2], '1', 'PX', remaining) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/** KEYS: index sorted set. ARGV: score (absolute expiry ms), member, now ms. The index lives as long as its newest member. */
export const INDEX_ADD = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local wanted = tonumber(ARGV[1]) - tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < wanted then redis.call('PEXPIRE', KEYS[1], wanted) end
return 1
`;

/** KEYS: lock. ARGV: owner token. Releases the lock only if this owner still holds it (its lease may have lapsed). */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    bffSlideIdle(session: string, now: number, ttlMs: number): Result<number, Context>;
    bffReplaceContents(session: string, expectedVersion: number, sealed: Buffer, channel: string, keyHash: string): Result<number, Context>;
    bffDestroySession(session: string, tombstone: string, now: number, revoked: '0' | '1', channel: string, keyHash: string): Result<number, Context>;
    bffIndexAdd(index: string, score: number, member: string, now: number): Result<number, Context>;
    bffReleaseLock(lock: string, owner: string): Result<number, Context>;
  }
}
