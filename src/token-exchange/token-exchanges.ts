import { Inject, Injectable } from '@nestjs/common';
import { sha256Base64url } from '../common/sha256';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { BoundedCache } from '../common/bounded-cache';
import { RedisConnection } from '../redis/redis.connection';
import { RedisLease } from '../redis/redis-lease';
import { SharedSingleFlight } from '../redis/shared-single-flight';
import type { ExchangedToken } from '../session/session.types';
import type { DpopKey } from '../dpop/dpop-key';
import { SharedTokenCache } from '../session/shared-token-cache';
import { TokenCrypto } from '../session/token-crypto';
import { ExchangeGrant } from './exchange-grant';
import type { ExchangeTarget } from './exchange-target';

const MAX_CACHED_TOKENS = 10_000;
const LEASE_MS = 10_000;
/** How long an instance waits for another one's exchange before making its own: a little over the IdP timeout. */
const SHARED_WAIT_MS = 6_000;

/** A bearer caller's token (its own, or a client-credentials grant's), from which the route's token is exchanged. */
export interface TokenSubject {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The key a client-credentials grant's token is bound to (OIDC_DPOP): the exchange carries a proof by it. */
  dpopKey?: DpopKey;
}

/**
 * Bearer callers' exchanged tokens: in a bounded map here, keyed by a digest of the caller's token and the target,
 * and shared with the other instances sealed in Redis under the caller's token itself (a Redis dump, even with the
 * vault keys, opens none of them), so one caller token costs one exchange per route across the fleet. Each is used
 * until TOKEN_REFRESH_SKEW before it, or the caller's token, expires.
 */
@Injectable()
export class TokenExchanges {
  private readonly local = new BoundedCache<ExchangedToken>(MAX_CACHED_TOKENS);
  private readonly flight: SharedSingleFlight<ExchangedToken>;
  private readonly shared: SharedTokenCache;
  private readonly skewMs: number;

  constructor(
    private readonly grant: ExchangeGrant,
    redis: RedisConnection,
    lease: RedisLease,
    @Inject(SESSION_CONFIG) config: SessionConfig,
  ) {
    this.flight = new SharedSingleFlight(lease);
    this.shared = new SharedTokenCache(redis, new TokenCrypto(config.encryptionKeys), 'x');
    this.skewMs = config.refreshSkewSeconds * 1000;
  }

  /** The route's token for this caller token, from memory; no I/O. */
  cached(subject: TokenSubject, target: ExchangeTarget): ExchangedToken | undefined {
    return this.local.get(entryKey(subject, target));
  }

  exchange(subject: TokenSubject, target: ExchangeTarget): Promise<ExchangedToken> {
    const key = entryKey(subject, target);
    const cached = this.local.get(key);
    if (cached) return Promise.resolve(cached);
    return this.flight.run(key, {
      leaseKey: this.shared.leaseKey(key),
      leaseMs: LEASE_MS,
      waitMs: SHARED_WAIT_MS,
      // The previous holder may have stored its token between our read and our lease.
      hold: async () => (await this.fromShared(key, subject)) ?? (await this.obtain(key, subject, target)),
      read: () => this.fromShared(key, subject),
      afterWait: () => this.obtain(key, subject, target),
      withoutRedis: 'proceed',
    });
  }

  private async fromShared(key: string, subject: TokenSubject): Promise<ExchangedToken | undefined> {
    const shared = await this.shared.read(key, subject.token);
    if (!shared) return undefined;
    const token = { accessToken: shared.accessToken, expiresAt: shared.expiresAt };
    this.local.set(key, token, shared.reuseUntil);
    return token;
  }

  private async obtain(key: string, subject: TokenSubject, target: ExchangeTarget): Promise<ExchangedToken> {
    const token = await this.grant.obtain(subject.token, subject.expiresAt, target, subject.dpopKey);
    const reuseUntil = token.expiresAt - this.skewMs;
    await this.shared.write(key, subject.token, { ...token, reuseUntil });
    this.local.set(key, token, reuseUntil);
    return token;
  }
}

/** No map key or Redis key ever holds the caller's token itself. */
function entryKey(subject: TokenSubject, target: ExchangeTarget): string {
  return `${sha256Base64url(subject.token)}:${target.key}`;
}
