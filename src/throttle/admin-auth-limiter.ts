import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { RateLimitConfig } from '../config/app-config';
import { RATE_LIMIT_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { RedisConnection } from '../redis/redis.connection';
import { FailureLockout } from './failure-lockout';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * Wrong admin tokens, counted per client IP (RATE_LIMIT_ADMIN_AUTH_FAILURES). After N in a window the address is
 * locked out for a window, the right token included: otherwise the answer to the next guess would still tell a right
 * token from a wrong one.
 */
@Injectable()
export class AdminAuthLimiter {
  private readonly lockout: FailureLockout;

  constructor(redis: RedisConnection, metrics: MetricsService, @Inject(RATE_LIMIT_CONFIG) config: RateLimitConfig) {
    this.lockout = new FailureLockout(new RedisThrottlerStorage(redis), metrics, {
      scope: 'admin_auth_failures',
      rule: config.adminAuthFailures,
      logContext: 'AdminAuth',
      lockedOutMessage: 'too many wrong admin tokens; client locked out',
    });
  }

  assertNotLocked(request: IncomingMessage & { ip?: string }): Promise<void> {
    return this.lockout.assertNotLocked(clientOf(request));
  }

  recordFailure(request: IncomingMessage & { ip?: string }): Promise<void> {
    return this.lockout.recordFailure(clientOf(request));
  }
}

function clientOf(request: IncomingMessage & { ip?: string }): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}
