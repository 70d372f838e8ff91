import { Inject, Injectable } from '@nestjs/common';
import type { RateLimitConfig } from '../config/app-config';
import { RATE_LIMIT_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { RedisConnection } from '../redis/redis.connection';
import { FailureLockout } from './failure-lockout';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * Failed bearer tokens and Basic credential pairs on proxied routes, counted per client IP in the shared Redis
 * (RATE_LIMIT_CREDENTIAL_FAILURES). After N in a window the address is refused (429) for a window before any IdP call,
 * so guessing client secrets or tokens cannot run at the IdP's speed, nor spend its rate limit for everyone.
 * Credentials verified before are still served from memory: a locked-out address loses only new guesses.
 */
@Injectable()
export class CredentialFailureLimiter {
  private readonly lockout: FailureLockout;

  constructor(redis: RedisConnection, metrics: MetricsService, @Inject(RATE_LIMIT_CONFIG) config: RateLimitConfig) {
    this.lockout = new FailureLockout(new RedisThrottlerStorage(redis), metrics, {
      scope: 'credential_failures',
      rule: config.credentialFailures,
      logContext: 'CredentialFailures',
      lockedOutMessage: 'too many failed credentials; client locked out',
    });
  }

  assertNotLocked(clientIp: string): Promise<void> {
    return this.lockout.assertNotLocked(clientIp);
  }

  recordFailure(clientIp: string): Promise<void> {
    return this.lockout.recordFailure(clientIp);
  }
}
