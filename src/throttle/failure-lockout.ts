import { sha256Hex } from '../common/sha256';
import { Logger } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { MetricsService } from '../metrics/metrics.service';
import type { RedisThrottlerStorage } from './redis-throttler.storage';
import { TooManyRequestsError } from './too-many-requests.error';

export interface LockoutRule {
  limit: number;
  windowMs: number;
}

export interface LockoutOptions {
  /** The throttle scope: part of the Redis key and the metrics label. */
  scope: string;
  rule: LockoutRule | undefined;
  logContext: string;
  lockedOutMessage: string;
}

/**
 * Failures counted per client address in the shared Redis: after `limit` in a window the address is refused (429)
 * for a window before anything else is checked. `undefined` rule: off.
 */
export class FailureLockout {
  private readonly logger: Logger;
  private readonly scope: string;
  private readonly rule: LockoutRule | undefined;
  private readonly lockedOutMessage: string;

  constructor(
    private readonly storage: RedisThrottlerStorage,
    private readonly metrics: MetricsService,
    options: LockoutOptions,
  ) {
    this.logger = new Logger(options.logContext);
    this.scope = options.scope;
    this.rule = options.rule;
    this.lockedOutMessage = options.lockedOutMessage;
  }

  async assertNotLocked(clientAddress: string): Promise<void> {
    if (!this.rule) return;
    const blockedMs = await this.storage.blockedFor(this.keyOf(clientAddress), this.scope);
    if (blockedMs <= 0) return;
    this.metrics.throttledRequests.inc({ scope: this.scope });
    throw new TooManyRequestsError(blockedMs / 1000);
  }

  async recordFailure(clientAddress: string): Promise<void> {
    if (!this.rule) return;
    const { windowMs, limit } = this.rule;
    const record = await this.storage.hit(this.keyOf(clientAddress), { windowMs, blockAt: limit, blockMs: windowMs }, this.scope);
    if (record.isBlocked) this.logger.warn({ client: normalizeIp(clientAddress), failures: record.totalHits }, this.lockedOutMessage);
  }

  /** Hashed: the Redis key names no address. */
  private keyOf(clientAddress: string): string {
    return sha256Hex(`${this.scope}|${normalizeIp(clientAddress)}`);
  }
}
