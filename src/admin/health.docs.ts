import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthController } from '../health/health.controller';
import { AdminApiDocs } from './admin-api.docs';

let described = false;

/**
 * The health endpoints' OpenAPI description. They are served by the request process's app, which loads no Swagger;
 * the admin plane describes them once, when it first loads (decorators are functions: applied here, not at the class).
 */
export function describeHealthEndpoints(): void {
  if (described) return;
  described = true;
  ApiTags('health')(HealthController);
  describe('healthz', ApiOkResponse({ description: 'The process serves' }));
  describe(
    'readyz',
    AdminApiDocs(),
    ApiOkResponse({ description: 'Redis, Postgres and the IdP are reachable' }),
    ApiServiceUnavailableResponse({ description: 'At least one dependency is down; the body names which' }),
  );
  describe('prometheus', AdminApiDocs(), ApiOkResponse({ description: 'Prometheus text exposition' }));
}

function describe(method: keyof HealthController, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(HealthController.prototype, method);
  if (!descriptor) throw new Error(`HealthController has no method ${method}`);
  for (const decorator of decorators) decorator(HealthController.prototype, method, descriptor);
}
