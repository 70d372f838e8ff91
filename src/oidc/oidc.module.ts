import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { OidcClient } from './oidc.client';

@Module({ imports: [HealthModule], providers: [OidcClient], exports: [OidcClient] })
export class OidcModule {}
