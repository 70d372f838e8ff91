import { Inject, Injectable } from '@nestjs/common';
import type { ConsumerConfig, ProxyConfig } from '../../config/app-config';
import { CONSUMER_CONFIG, PROXY_CONFIG } from '../../config/config.tokens';
import { ConsumerMappingService } from '../../consumer/consumer-mapping.service';
import { deriveCallerIdentity, identitySettingsOf, type IdentitySettings } from '../../identity/derive-identity';
import { SessionCache } from '../../session/session-cache';
import type { TokenCaller } from '../forwarding/caller';
import { TokenCallerCache } from './token-caller-cache';
import { tokenDigest, type VerifiedToken } from './verified-token';

/**
 * A verified token's caller, its consumer mapping included, reused until the token expires or a consumer is deleted,
 * so repeat machine calls need neither verification nor a Postgres round trip.
 */
@Injectable()
export class TokenCallers {
  private readonly cache: TokenCallerCache<TokenCaller>;
  private readonly identitySettings: IdentitySettings;

  constructor(
    private readonly consumers: ConsumerMappingService,
    sessionCache: SessionCache,
    @Inject(CONSUMER_CONFIG) consumerConfig: ConsumerConfig,
    @Inject(PROXY_CONFIG) proxyConfig: ProxyConfig,
  ) {
    this.cache = new TokenCallerCache(sessionCache);
    this.identitySettings = identitySettingsOf(consumerConfig, proxyConfig);
  }

  /** The caller of a token seen before and still good, without waiting; `undefined` means "verify it". */
  cached(token: string): TokenCaller | undefined {
    return this.cache.get(tokenDigest(token));
  }

  async of(token: string, verified: VerifiedToken): Promise<TokenCaller> {
    const key = tokenDigest(token);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const since = this.cache.begin();
    const mapping = await this.consumers.map(verified.claims);
    const caller: TokenCaller = {
      kind: 'token',
      identity: deriveCallerIdentity(verified.claims, mapping, verified, this.identitySettings),
      bearer: token,
      expiresAt: verified.expiresAt,
      ...(verified.boundKey !== undefined ? { boundKey: verified.boundKey } : {}),
    };
    this.cache.set(key, caller, since, verified.expiresAt);
    return caller;
  }
}
