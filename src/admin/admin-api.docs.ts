import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';

/** How `@AdminApi()` handlers are described in the OpenAPI document. */
export const AdminApiDocs = () => applyDecorators(ApiBearerAuth(), ApiUnauthorizedResponse({ description: 'Missing or wrong admin token' }));
