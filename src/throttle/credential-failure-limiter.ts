import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { RateLimitConfig } from '../config/app-config';
import { RATE_LIMIT_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { RedisConnection } from '../redis/redis.connection';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { TooManyRequestsError } from './too-many-requests.error';

const SCOPE = 'credential_failures';

/**
 * Failed bearer tokens and Basic credential pairs on proxied routes, counted per client IP in the shared Redis
 * (RATE_LIMIT_CREDENTIAL_FAILURES). After N in a window the address is refused (429) for a window before any IdP call,
 * so guessing client secrets or tokens cannot run at the IdP's speed, nor spend its rate limit for everyone.
 * Credentials verified before are still served from memory: a locked-out address loses only new guesses.
 */
@Injectable()
export class CredentialFailureLimiter {
  private readonly logger = new Logger('CredentialFailures');
  private readonly storage: RedisThrottlerStorage;
  private readonly rule: RateLimitConfig['credentialFailures'];

  constructor(
    redis: RedisConnection,
    private readonly metrics: MetricsService,
    @Inject(RATE_LIMIT_CONFIG) config: RateLimitConfig,
  ) {
    this.storage = new RedisThrottlerStorage(redis);
    this.rule = config.credentialFailures;
  }

  async assertNotLocked(clientIp: string): Promise<void> {
    if (!this.rule) return;
    const blockedMs = await this.storage.blockedFor(keyOf(clientIp), SCOPE);
    if (blockedMs <= 0) return;
    this.metrics.throttledRequests.inc({ scope: SCOPE });
    throw new TooManyRequestsError(blockedMs / 1000);
  }

  async recordFailure(clientIp: string): Promise<void> {
    if (!this.rule) return;
    const { windowMs, limit } = this.rule;
    const record = await this.storage.hit(keyOf(clientIp), { windowMs, blockAt: limit, blockMs: windowMs }, SCOPE);
    if (record.isBlocked) this.logger.warn({ client: normalizeIp(clientIp), failures: record.totalHits }, 'too many failed credentials; client locked out');
  }
}

function keyOf(clientIp: string): string {
  return createHash('sha256').update(`${SCOPE}|${normalizeIp(clientIp)}`).digest('hex');
}
