import { DpopKey } from '../dpop/dpop-key';
import type { RedisConnection } from '../redis/redis.connection';
import type { TokenCrypto } from './token-crypto';

/** What the shared tier keeps per entry, sealed under the entry's encryption context. */
export interface CachedToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Epoch milliseconds: no instance reuses the token past this, and Redis forgets it then. */
  reuseUntil: number;
  /** The key the token is bound to (OIDC_DPOP), sealed with it: every instance sends its proofs with the same key. */
  dpopKey?: DpopKey;
}

/**
 * Tokens shared by every instance, sealed in Redis (AES-GCM under a key derived from the vault key and `context`):
 * a Kong-style client-credentials grant by its credential pair's HMAC, a bearer caller's exchanged token by the
 * caller's token itself, so a Redis dump holds nothing usable. Also where the lease lives that lets one instance at a
 * time ask the IdP for an entry (SharedSingleFlight). Redis is an optimisation here: while it is down, nothing is
 * shared and every instance makes its own.
 */
export class SharedTokenCache {
  constructor(
    private readonly redis: RedisConnection,
    private readonly crypto: TokenCrypto,
    /** The entries' key prefix: `cc` (client credentials), `x` (exchanged tokens). */
    private readonly namespace: string,
  ) {}

  async read(id: string, context: string): Promise<CachedToken | undefined> {
    const sealed = await this.redis.run((client) => client.getBuffer(this.redis.key(this.namespace, id))).catch(() => null);
    const opened = sealed ? this.crypto.decrypt(sealed, context) : undefined;
    const token = opened ? parseCachedToken(opened.toString('utf8')) : undefined;
    return token && token.reuseUntil > Date.now() ? token : undefined;
  }

  async write(id: string, context: string, token: CachedToken): Promise<void> {
    const ttl = Math.floor(token.reuseUntil - Date.now());
    if (ttl <= 0) return;
    const { dpopKey, ...rest } = token;
    const sealed = this.crypto.encrypt(JSON.stringify(dpopKey ? { ...rest, dpopKey: dpopKey.sealable() } : rest), context);
    await this.redis.run((client) => client.set(this.redis.key(this.namespace, id), sealed, 'PX', ttl)).catch(() => undefined);
  }

  leaseKey(id: string): string {
    return this.redis.key(this.namespace, id, 'lock');
  }
}

function parseCachedToken(json: string): CachedToken | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const fields: Partial<Record<keyof CachedToken, unknown>> = value;
    const { accessToken, expiresAt, reuseUntil } = fields;
    if (typeof accessToken !== 'string' || typeof expiresAt !== 'number' || typeof reuseUntil !== 'number') return undefined;
    const dpopKey = DpopKey.fromSealed(fields.dpopKey);
    if (dpopKey === null) return undefined;
    return { accessToken, expiresAt, reuseUntil, ...(dpopKey && { dpopKey }) };
  } catch {
    return undefined; // not JSON: not ours
  }
}
