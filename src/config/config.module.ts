import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from './app-config';
import {
  ADMIN_CONFIG,
  CONSUMER_CONFIG,
  DATABASE_CONFIG,
  HTTP_CONFIG,
  OIDC_CONFIG,
  PROXY_CONFIG,
  RATE_LIMIT_CONFIG,
  REDIS_CONFIG,
  SESSION_CONFIG,
  TRACING_CONFIG,
} from './config.tokens';

/** Provides each configuration namespace under its own token, so a class asks only for what it uses. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: HTTP_CONFIG, useValue: config.http },
      { provide: ADMIN_CONFIG, useValue: config.admin },
      { provide: OIDC_CONFIG, useValue: config.oidc },
      { provide: REDIS_CONFIG, useValue: config.redis },
      { provide: DATABASE_CONFIG, useValue: config.database },
      { provide: SESSION_CONFIG, useValue: config.session },
      { provide: CONSUMER_CONFIG, useValue: config.consumer },
      { provide: PROXY_CONFIG, useValue: config.proxy },
      { provide: RATE_LIMIT_CONFIG, useValue: config.rateLimit },
      { provide: TRACING_CONFIG, useValue: config.tracing },
    ];
    return { module: ConfigModule, providers, exports: providers.map((provider) => provider.provide) };
  }
}
