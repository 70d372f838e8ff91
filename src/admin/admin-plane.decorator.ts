import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { RateLimit } from '../throttle/rate-limit.decorator';
import { AdminTokenGuard } from './admin-token.guard';

export const ADMIN_PLANE_KEY = 'bff:adminPlane';

/** The handler answers on the admin port only, without credentials (health probes). */
export const AdminPlane = () => SetMetadata(ADMIN_PLANE_KEY, true);

/**
 * The handler answers on the admin port only, to `Authorization: Bearer ${ADMIN_TOKEN}`, within RATE_LIMIT_ADMIN.
 * Its OpenAPI description (`AdminApiDocs`) is the admin plane's, which loads on its first request.
 */
export const AdminApi = () => applyDecorators(AdminPlane(), RateLimit('admin'), UseGuards(AdminTokenGuard));
