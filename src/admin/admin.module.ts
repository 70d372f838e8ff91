import { Module } from '@nestjs/common';
import { ThrottleModule } from '../throttle/throttle.module';
import { AdminTokenGuard } from './admin-token.guard';

/** The admin token guard; a module whose controllers use `@AdminApi()` imports this (and its rate limit). */
@Module({
  imports: [ThrottleModule],
  providers: [AdminTokenGuard],
  exports: [AdminTokenGuard, ThrottleModule],
})
export class AdminModule {}
