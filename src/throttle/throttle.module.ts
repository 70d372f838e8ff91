import { Module, type ExecutionContext } from '@nestjs/common';
import { ThrottlerModule, type ThrottlerModuleOptions, type ThrottlerOptions } from '@nestjs/throttler';
import type { RateLimitConfig } from '../config/app-config';
import { RATE_LIMIT_CONFIG } from '../config/config.tokens';
import { sha256Hex } from '../common/sha256';
import { RedisConnection } from '../redis/redis.connection';
import { AdminAuthLimiter } from './admin-auth-limiter';
import { CredentialFailureLimiter } from './credential-failure-limiter';
import { RateLimitGuard } from './rate-limit.guard';
import { rateLimitTarget, type RateLimitScope } from './rate-limit.target';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * Rate limits per client IP (`request.ip`, so TRUST_PROXY decides whose X-Forwarded-For counts), counted in Redis and
 * so shared by every instance. Each endpoint names its scope with `@RateLimit`; only that scope's throttler applies.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [RATE_LIMIT_CONFIG, RedisConnection],
      useFactory: (config: RateLimitConfig, redis: RedisConnection): ThrottlerModuleOptions => ({
        throttlers: [throttler('login', config.login), throttler('admin', config.admin)].filter((entry) => entry !== undefined),
        storage: new RedisThrottlerStorage(redis),
        generateKey: (context, tracker, name) => sha256Hex(`${name}|${rateLimitTarget(context)?.bucket ?? ''}|${tracker}`),
        // Retry-After comes with the 429 itself (TooManyRequestsError).
        setHeaders: false,
      }),
    }),
  ],
  providers: [RateLimitGuard, AdminAuthLimiter, CredentialFailureLimiter],
  exports: [RateLimitGuard, AdminAuthLimiter, CredentialFailureLimiter],
})
export class ThrottleModule {}

function throttler(scope: RateLimitScope, rule: RateLimitConfig[RateLimitScope]): ThrottlerOptions | undefined {
  if (!rule) return undefined;
  return {
    name: scope,
    limit: rule.limit,
    ttl: rule.windowMs,
    skipIf: (context: ExecutionContext) => rateLimitTarget(context)?.scope !== scope,
  };
}
