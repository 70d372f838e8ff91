import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AdminConfig } from '../config/app-config';
import { ADMIN_CONFIG } from '../config/config.tokens';
import { AppError } from '../common/app.error';

@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expectedDigest: Buffer;

  constructor(@Inject(ADMIN_CONFIG) config: AdminConfig) {
    this.expectedDigest = digest(config.token);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    // Comparing fixed-length digests keeps the comparison constant-time whatever the presented length.
    if (match?.[1] && timingSafeEqual(digest(match[1]), this.expectedDigest)) return true;
    throw new AppError(401, 'unauthorized', 'A valid admin bearer token is required.', {
      headers: { 'www-authenticate': 'Bearer realm="bff-admin"' },
    });
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
