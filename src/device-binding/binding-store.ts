import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Result } from 'ioredis';
import { sha256Base64url } from '../common/sha256';
import { RedisConnection } from '../redis/redis.connection';
import { SessionKeys } from '../session/session.keys';

export type ChallengePurpose = 'register' | 'refresh';

/** At most this many challenges are outstanding per session: a flood of refresh attempts cannot grow Redis. */
const MAX_OUTSTANDING = 8;

/**
 * KEYS: challenges. ARGV: member, expires at (ms), now (ms), most outstanding, key TTL (ms). Drops the expired, adds
 * the new one, keeps the newest few; the key lives as long as its newest challenge.
 */
const ISSUE_CHALLENGE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[4]) + 1))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return 1
`;

/** KEYS: challenges. ARGV: member, now (ms). → 1 when it was outstanding and unexpired; either way it is used up. */
const TAKE_CHALLENGE = `
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expires then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if tonumber(expires) <= tonumber(ARGV[2]) then return 0 end
return 1
`;

/** KEYS: session. ARGV: bound at (ms). Marks the session bound in its clear metadata, if it still exists. */
const MARK_BOUND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'b', ARGV[1])
return 1
`;

/**
 * The device-binding state that is not sealed in the vault: single-use challenges, shared by every instance through
 * Redis and kept beside the session (its Cluster slot), and the clear "bound" mark the admin listing reads.
 */
@Injectable()
export class BindingStore implements OnModuleInit {
  private readonly keys: SessionKeys;

  constructor(private readonly redis: RedisConnection) {
    this.keys = new SessionKeys(redis.prefix);
  }

  onModuleInit(): void {
    this.redis.client.defineCommand('bffIssueChallenge', { numberOfKeys: 1, lua: ISSUE_CHALLENGE });
    this.redis.client.defineCommand('bffTakeChallenge', { numberOfKeys: 1, lua: TAKE_CHALLENGE });
    this.redis.client.defineCommand('bffMarkBound', { numberOfKeys: 1, lua: MARK_BOUND });
  }

  /** A fresh challenge (256 random bits) for this session and purpose, valid for `ttlMs` but never past `notAfter`. */
  async issue(keyHash: string, purpose: ChallengePurpose, ttlMs: number, notAfter: number): Promise<string> {
    const challenge = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = Math.min(now + ttlMs, notAfter);
    await this.redis.run(() =>
      this.redis.client.bffIssueChallenge(this.keys.deviceChallenges(keyHash), member(purpose, challenge), expiresAt, now, MAX_OUTSTANDING, Math.max(1, expiresAt - now)),
    );
    return challenge;
  }

  /** Uses up a challenge: true only the first time, for the session and purpose it was issued to, before it expired. */
  async take(keyHash: string, purpose: ChallengePurpose, challenge: string): Promise<boolean> {
    const taken = await this.redis.run(() => this.redis.client.bffTakeChallenge(this.keys.deviceChallenges(keyHash), member(purpose, challenge), Date.now()));
    return taken === 1;
  }

  async markBound(keyHash: string, boundAt: number): Promise<void> {
    await this.redis.run(() => this.redis.client.bffMarkBound(this.keys.session(keyHash), boundAt));
  }
}

/** Stored by digest, as the BFF keeps every single-use value: a Redis dump shows no challenge in the clear. */
function member(purpose: ChallengePurpose, challenge: string): string {
  return `${purpose}:${sha256Base64url(challenge)}`;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    bffIssueChallenge(key: string, member: string, expiresAt: number, now: number, most: number, ttlMs: number): Result<number, Context>;
    bffTakeChallenge(key: string, member: string, now: number): Result<number, Context>;
    bffMarkBound(session: string, boundAt: number): Result<number, Context>;
  }
}
