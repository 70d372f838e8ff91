import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AdminConfig } from '../config/app-config';
import { ADMIN_CONFIG } from '../config/config.tokens';
import { AppError } from '../common/app.error';
import { sha256Bytes } from '../common/sha256';
import { AdminAuthLimiter } from '../throttle/admin-auth-limiter';

@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expectedDigest: Buffer;

  constructor(
    @Inject(ADMIN_CONFIG) config: AdminConfig,
    private readonly failures: AdminAuthLimiter,
  ) {
    this.expectedDigest = sha256Bytes(config.token);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    await this.failures.assertNotLocked(request);
    const header = request.headers.authorization ?? '';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    // Comparing fixed-length digests keeps the comparison constant-time whatever the presented length.
    if (match?.[1] && timingSafeEqual(sha256Bytes(match[1]), this.expectedDigest)) return true;
    // Only a presented bearer token is a guess at ADMIN_TOKEN; a missing header is a misconfigured client.
    if (/^Bearer\s/i.test(header)) await this.failures.recordFailure(request);
    throw new AppError(401, 'unauthorized', 'A valid admin bearer token is required.', {
      headers: { 'www-authenticate': 'Bearer realm="bff-admin"' },
    });
  }
}
