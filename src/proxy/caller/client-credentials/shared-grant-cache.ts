import type { RedisConnection } from '../../../redis/redis.connection';
import type { TokenCrypto } from '../../../session/token-crypto';

/** What the shared tier keeps per pair, sealed with the pair's HMAC as the encryption context. */
export interface CachedGrant {
  accessToken: string;
  expiresAt: number;
  reuseUntil: number;
}

/**
 * The tier shared by every instance: each pair's token sealed in Redis under the pair's HMAC, and where the lease
 * lives that lets one instance at a time ask the IdP for a pair (SharedSingleFlight).
 */
export class SharedGrantCache {
  constructor(
    private readonly redis: RedisConnection,
    private readonly crypto: TokenCrypto,
  ) {}

  async read(pair: string): Promise<CachedGrant | undefined> {
    const sealed = await this.redis.run((client) => client.getBuffer(this.redis.key('cc', pair))).catch(() => null);
    const opened = sealed ? this.crypto.decrypt(sealed, pair) : undefined;
    return opened ? parseCachedGrant(opened.toString('utf8')) : undefined;
  }

  async write(pair: string, grant: CachedGrant): Promise<void> {
    const ttl = Math.floor(grant.reuseUntil - Date.now());
    if (ttl <= 0) return;
    const sealed = this.crypto.encrypt(JSON.stringify(grant), pair);
    await this.redis.run((client) => client.set(this.redis.key('cc', pair), sealed, 'PX', ttl)).catch(() => undefined);
  }

  leaseKey(pair: string): string {
    return this.redis.key('cc', pair, 'lock');
  }
}

function parseCachedGrant(json: string): CachedGrant | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const fields: Partial<Record<keyof CachedGrant, unknown>> = value;
    const { accessToken, expiresAt, reuseUntil } = fields;
    if (typeof accessToken !== 'string' || typeof expiresAt !== 'number' || typeof reuseUntil !== 'number') return undefined;
    return { accessToken, expiresAt, reuseUntil };
  } catch {
    return undefined; // not JSON: not ours
  }
}
