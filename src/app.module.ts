import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { PlaneGuard } from './admin/plane.guard';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { loggerOptions } from './common/logger.options';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConsumerModule } from './consumer/consumer.module';
import { databaseOptions } from './database/database.options';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { OidcModule } from './oidc/oidc.module';
import type { Route } from './proxy/forwarding/route';
import { ProxyModule } from './proxy/proxy.module';
import { RedisModule } from './redis/redis.module';
import { ThrottleModule } from './throttle/throttle.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, routes: readonly Route[]): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config.log.level)),
        TypeOrmModule.forRoot({ ...databaseOptions(config.database.url), autoLoadEntities: true, retryAttempts: 3, retryDelay: 1000 }),
        RedisModule,
        MetricsModule,
        ThrottleModule,
        HealthModule,
        OidcModule,
        ConsumerModule,
        AuthModule,
        ProxyModule.forRoutes(routes),
      ],
      providers: [
        { provide: APP_GUARD, useClass: PlaneGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
