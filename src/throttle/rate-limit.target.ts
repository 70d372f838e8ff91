import type { ExecutionContext } from '@nestjs/common';

/** `login` covers the login and callback endpoints (RATE_LIMIT_LOGIN), `admin` the admin API (RATE_LIMIT_ADMIN). */
export type RateLimitScope = 'login' | 'admin';

export interface RateLimitTarget {
  scope: RateLimitScope;
  /** Endpoints of one scope with separate counters (a login and its callback each get the full limit). */
  bucket: string;
}

export const RATE_LIMIT_KEY = 'bff:rateLimit';

export function rateLimitTarget(context: ExecutionContext): RateLimitTarget | undefined {
  const found: unknown = Reflect.getMetadata(RATE_LIMIT_KEY, context.getHandler()) ?? Reflect.getMetadata(RATE_LIMIT_KEY, context.getClass());
  return isTarget(found) ? found : undefined;
}

function isTarget(value: unknown): value is RateLimitTarget {
  return typeof value === 'object' && value !== null && 'scope' in value && 'bucket' in value;
}
