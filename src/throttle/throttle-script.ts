import type { Result } from 'ioredis';

/**
 * One fixed-window counter per key, atomic in one round trip. KEYS: hits, block marker (same hash tag, so the script
 * runs unchanged on Redis Cluster). ARGV: window ms, the hit count that blocks, block ms (0: only until the window ends).
 * → {hits, ms left in the window, ms left blocked (0 when not blocked)}. While blocked, nothing is counted.
 */
export const THROTTLE_HIT = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return {tonumber(redis.call('GET', KEYS[2]) or '0'), blocked, blocked} end
local hits = redis.call('INCR', KEYS[1])
local window = redis.call('PTTL', KEYS[1])
if window < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  window = tonumber(ARGV[1])
end
if hits < tonumber(ARGV[2]) then return {hits, window, 0} end
local blockMs = tonumber(ARGV[3])
if blockMs <= 0 then return {hits, window, window} end
redis.call('SET', KEYS[2], hits, 'PX', blockMs)
redis.call('DEL', KEYS[1])
return {hits, window, blockMs}
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    bffThrottleHit(hits: string, block: string, windowMs: number, blockAt: number, blockMs: number): Result<number[], Context>;
  }
}
