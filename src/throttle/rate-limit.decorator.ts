import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { RateLimitGuard } from './rate-limit.guard';
import { RATE_LIMIT_KEY, type RateLimitScope, type RateLimitTarget } from './rate-limit.target';

/** Limits the handler (or every handler of the class) per client IP, with the scope's configured limit. */
export const RateLimit = (scope: RateLimitScope, bucket: string = scope) =>
  applyDecorators(SetMetadata(RATE_LIMIT_KEY, { scope, bucket } satisfies RateLimitTarget), UseGuards(RateLimitGuard));
