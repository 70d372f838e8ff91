import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { getOptionsToken, getStorageToken } from '@nestjs/throttler';
import { getRepositoryToken } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AllExceptionsFilter } from '../common/all-exceptions.filter';
import { loggerOptions } from '../common/logger.options';
import { OneRuleValidationPipe } from '../common/one-rule-validation.pipe';
import type { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { ConsumerSessionsController } from '../consumer/consumer-sessions.controller';
import { ConsumerController } from '../consumer/consumer.controller';
import { Consumer } from '../consumer/consumer.entity';
import { ConsumerService } from '../consumer/consumer.service';
import { DatabaseUnavailableInterceptor } from '../database/database-unavailable.interceptor';
import { HealthController } from '../health/health.controller';
import { ReadinessService } from '../health/readiness.service';
import { MetricsService } from '../metrics/metrics.service';
import { SessionCache } from '../session/session-cache';
import { SessionListing } from '../session/session-listing';
import { SessionStore } from '../session/session.store';
import { AdminAuthLimiter } from '../throttle/admin-auth-limiter';
import { AdminTokenGuard } from './admin-token.guard';
import { DocsController } from './docs.controller';
import { OpenApiDocument } from './openapi-document';
import { PlaneGuard } from './plane.guard';

/** What the admin plane uses of the request process's app: the same instances (connections, counters, caches). */
const SHARED = [
  MetricsService,
  SessionStore,
  SessionCache,
  SessionListing,
  ReadinessService,
  AdminAuthLimiter,
  getRepositoryToken(Consumer),
  getOptionsToken(),
  getStorageToken(),
];

const LIFECYCLE_HOOKS = new Set<PropertyKey>(['onModuleInit', 'onApplicationBootstrap', 'onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown']);

/**
 * The admin plane: the consumers API, its OpenAPI description and /docs, as a Nest application of its own, created
 * on the first request for one of them (admin-plane.ts). HealthController is here only to be described: the request
 * process's app serves /healthz, /readyz and /metrics.
 */
@Module({})
export class AdminPlaneModule {
  static sharing(parent: INestApplicationContext, config: AppConfig, document: OpenApiDocument): DynamicModule {
    return {
      module: AdminPlaneModule,
      imports: [ConfigModule.forRoot(config), LoggerModule.forRoot(loggerOptions(config.log.level))],
      controllers: [HealthController, ConsumerController, ConsumerSessionsController, DocsController],
      providers: [
        ...SHARED.map((token) => ({ provide: token, useValue: withoutLifecycle(parent.get<object>(token)) })),
        { provide: OpenApiDocument, useValue: document },
        ConsumerService,
        AdminTokenGuard,
        DatabaseUnavailableInterceptor,
        { provide: APP_GUARD, useClass: PlaneGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        {
          provide: APP_PIPE,
          useValue: new OneRuleValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, forbidUnknownValues: true }),
        },
      ],
    };
  }
}

/**
 * The parent app starts and stops what it shares; Nest calls lifecycle hooks on value providers too, so the plane
 * sees each shared instance through a view without them (methods still run on the instance itself).
 */
function withoutLifecycle<T extends object>(instance: T): T {
  return new Proxy(instance, {
    get(target, property): unknown {
      if (LIFECYCLE_HOOKS.has(property)) return undefined;
      const value: unknown = Reflect.get(target, property, target);
      // Methods (from the prototype) run with the instance as `this`; own values, a class among them, pass as they are.
      return typeof value === 'function' && !Object.hasOwn(target, property) ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
