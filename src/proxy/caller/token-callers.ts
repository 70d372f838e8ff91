import { Inject, Injectable } from '@nestjs/common';
import { groupsFrom } from '../../common/claims';
import type { ConsumerConfig } from '../../config/app-config';
import { CONSUMER_CONFIG } from '../../config/config.tokens';
import { ConsumerMappingService } from '../../consumer/consumer-mapping.service';
import { SessionCache } from '../../session/session-cache';
import type { Caller } from '../forwarding/caller';
import { TokenCallerCache } from './token-caller-cache';
import { tokenDigest, type VerifiedToken } from './verified-token';

/**
 * A verified token's caller, its consumer mapping included, reused until the token expires or a consumer is deleted,
 * so repeat machine calls need neither verification nor a Postgres round trip.
 */
@Injectable()
export class TokenCallers {
  private readonly cache: TokenCallerCache<Caller>;

  constructor(
    private readonly consumers: ConsumerMappingService,
    sessionCache: SessionCache,
    @Inject(CONSUMER_CONFIG) private readonly consumerConfig: ConsumerConfig,
  ) {
    this.cache = new TokenCallerCache(sessionCache);
  }

  /** The caller of a token seen before and still good, without waiting; `undefined` means "verify it". */
  cached(token: string): Caller | undefined {
    return this.cache.get(tokenDigest(token));
  }

  async of(token: string, verified: VerifiedToken): Promise<Caller> {
    const key = tokenDigest(token);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const since = this.cache.begin();
    const mapping = await this.consumers.map(verified.claims);
    const groups = groupsFrom(verified.claims, this.consumerConfig);
    const { acr, auth_time: authTime } = verified.claims;
    const caller: Caller = {
      kind: 'token',
      identity: {
        bearer: token,
        consumer: mapping.consumer,
        credential: mapping.credential,
        anonymous: mapping.anonymous,
        groups,
        claims: verified.claims,
      },
      facts: {
        groups,
        scopes: verified.scopes,
        audiences: verified.audiences,
        ...(typeof acr === 'string' ? { acr } : {}),
        ...(typeof authTime === 'number' ? { authTime } : {}),
      },
    };
    this.cache.set(key, caller, since, verified.expiresAt);
    return caller;
  }
}
