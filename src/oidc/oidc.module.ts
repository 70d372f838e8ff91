import { TracingModule } from '../tracing/tracing.module';
import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { OidcClient } from './oidc.client';

@Module({ imports: [HealthModule, TracingModule], providers: [OidcClient], exports: [OidcClient] })
export class OidcModule {}
