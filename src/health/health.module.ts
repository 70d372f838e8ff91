import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module';
import { HealthController } from './health.controller';
import { ReadinessService } from './readiness.service';

@Module({ imports: [AdminModule], controllers: [HealthController], providers: [ReadinessService], exports: [ReadinessService] })
export class HealthModule {}
