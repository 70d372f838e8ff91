import { Injectable } from '@nestjs/common';
import { sha256Base64url } from '../../../common/sha256';
import { RedisConnection } from '../../../redis/redis.connection';
import { PROOF_IAT_WINDOW_SECONDS } from './dpop-proof';

/**
 * A proof is acceptable for one window either side of its `iat`: its `jti` is remembered for both, plus the clock skew
 * tolerated between instances (as for bearer tokens), else a proof accepted at the edge of one instance's window could
 * pass again on an instance whose clock is behind once the key has expired.
 */
const INSTANCE_CLOCK_SKEW_SECONDS = 5;
const REMEMBERED_MS = (2 * PROOF_IAT_WINDOW_SECONDS + INSTANCE_CLOCK_SKEW_SECONDS) * 1000;

/**
 * RFC 9449 §11.1: each proof is used once, on whichever instance it arrives — one `SET NX` in the shared Redis, keyed
 * by a hash of the `jti` scoped by the key that signed it (one client cannot burn another's jti).
 */
@Injectable()
export class DpopReplayGuard {
  constructor(private readonly redis: RedisConnection) {}

  /** True the first time; false when any instance saw this key's `jti` within the window. */
  async firstUse(keyThumbprint: string, jti: string): Promise<boolean> {
    const key = this.redis.key('dpop-jti', sha256Base64url(`${keyThumbprint}:${jti}`));
    return (await this.redis.run((client) => client.set(key, '1', 'PX', REMEMBERED_MS, 'NX'))) === 'OK';
  }
}
