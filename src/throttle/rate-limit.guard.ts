import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { MetricsService } from '../metrics/metrics.service';
import { rateLimitTarget } from './rate-limit.target';
import { TooManyRequestsError } from './too-many-requests.error';

/** @nestjs/throttler's guard, answering with the contract's 429 (Retry-After included) and counting it. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, reflector);
  }

  protected override throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    this.metrics.throttledRequests.inc({ scope: rateLimitTarget(context)?.scope ?? 'unknown' });
    throw new TooManyRequestsError(detail.timeToBlockExpire);
  }
}
