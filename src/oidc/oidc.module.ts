import { TracingModule } from '../tracing/tracing.module';
import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { ExtraIssuers } from './extra-issuers';
import { OidcClient } from './oidc.client';

@Module({ imports: [HealthModule, TracingModule], providers: [OidcClient, ExtraIssuers], exports: [OidcClient, ExtraIssuers] })
export class OidcModule {}
