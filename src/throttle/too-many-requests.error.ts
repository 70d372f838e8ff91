import { AppError } from '../common/app.error';

/** 429 in the contract's error shape, with `Retry-After` in whole seconds. */
export class TooManyRequestsError extends AppError {
  constructor(retryAfterSeconds: number) {
    const wait = Math.max(1, Math.ceil(retryAfterSeconds));
    super(429, 'too_many_requests', `Too many requests; try again in ${wait} second${wait === 1 ? '' : 's'}.`, {
      headers: { 'retry-after': String(wait) },
    });
  }
}
