import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Result } from 'ioredis';
import { RedisConnection } from './redis.connection';

/** A lease held in Redis: let go of it when done, or it lapses by itself. */
export interface Lease {
  release(): Promise<void>;
}

/** KEYS: lease. ARGV: owner token. Deletes the lease only if this owner still holds it (it may have lapsed and moved on). */
const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * One holder at a time across every instance (a session's refresh, a client-credentials grant): `SET NX PX` with a
 * random owner token, released only by its owner. A Redis that is down or slow is a 503 (RedisConnection.run).
 */
@Injectable()
export class RedisLease {
  constructor(private readonly redis: RedisConnection) {
    redis.client.defineCommand('bffReleaseLease', { numberOfKeys: 1, lua: RELEASE_IF_OWNER });
  }

  /** The lease, or undefined while someone else holds it. */
  async tryTake(key: string, leaseMs: number): Promise<Lease | undefined> {
    const owner = randomBytes(16).toString('base64url');
    const taken = await this.redis.run((client) => client.set(key, owner, 'PX', leaseMs, 'NX'));
    if (taken !== 'OK') return undefined;
    return {
      release: () => this.redis.client.bffReleaseLease(key, owner).then(() => undefined, () => undefined),
    };
  }

  async isHeld(key: string): Promise<boolean> {
    return (await this.redis.run((client) => client.exists(key))) === 1;
  }
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    bffReleaseLease(lease: string, owner: string): Result<number, Context>;
  }
}
