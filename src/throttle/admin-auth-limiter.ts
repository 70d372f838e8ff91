import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { RateLimitConfig } from '../config/app-config';
import { RATE_LIMIT_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { RedisConnection } from '../redis/redis.connection';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { TooManyRequestsError } from './too-many-requests.error';

const SCOPE = 'admin_auth_failures';

/**
 * Wrong admin tokens, counted per client IP (RATE_LIMIT_ADMIN_AUTH_FAILURES). After N in a window the address is
 * locked out for a window, the right token included: otherwise the answer to the next guess would still tell a right
 * token from a wrong one.
 */
@Injectable()
export class AdminAuthLimiter {
  private readonly logger = new Logger('AdminAuth');
  private readonly storage: RedisThrottlerStorage;
  private readonly rule: RateLimitConfig['adminAuthFailures'];

  constructor(
    redis: RedisConnection,
    private readonly metrics: MetricsService,
    @Inject(RATE_LIMIT_CONFIG) config: RateLimitConfig,
  ) {
    this.storage = new RedisThrottlerStorage(redis);
    this.rule = config.adminAuthFailures;
  }

  async assertNotLocked(request: IncomingMessage & { ip?: string }): Promise<void> {
    if (!this.rule) return;
    const blockedMs = await this.storage.blockedFor(keyOf(request), SCOPE);
    if (blockedMs <= 0) return;
    this.metrics.throttledRequests.inc({ scope: SCOPE });
    throw new TooManyRequestsError(blockedMs / 1000);
  }

  async recordFailure(request: IncomingMessage & { ip?: string }): Promise<void> {
    if (!this.rule) return;
    const { windowMs, limit } = this.rule;
    const record = await this.storage.hit(keyOf(request), { windowMs, blockAt: limit, blockMs: windowMs }, SCOPE);
    if (record.isBlocked) this.logger.warn({ client: clientOf(request), failures: record.totalHits }, 'too many wrong admin tokens; client locked out');
  }
}

function clientOf(request: IncomingMessage & { ip?: string }): string {
  return normalizeIp(request.ip ?? request.socket.remoteAddress ?? 'unknown');
}

function keyOf(request: IncomingMessage & { ip?: string }): string {
  return createHash('sha256').update(`${SCOPE}|${clientOf(request)}`).digest('hex');
}
