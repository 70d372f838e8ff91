import { Injectable } from '@nestjs/common';
import { sha256Base64url } from '../../../common/sha256';
import { RedisConnection } from '../../../redis/redis.connection';
import { PROOF_IAT_WINDOW_SECONDS } from './dpop-proof';

/** A proof is acceptable for one window either side of its `iat`: its `jti` is remembered for both, plus a second. */
const REMEMBERED_MS = (2 * PROOF_IAT_WINDOW_SECONDS + 1) * 1000;

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
