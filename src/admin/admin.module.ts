import { Module } from '@nestjs/common';
import { ThrottleModule } from '../throttle/throttle.module';
import { AdminTokenGuard } from './admin-token.guard';
import { DocsController } from './docs.controller';
import { OpenApiDocument } from './openapi-document';

/** The admin plane's guard and docs; a module whose controllers use `@AdminApi()` imports this (and its rate limit). */
@Module({
  imports: [ThrottleModule],
  controllers: [DocsController],
  providers: [AdminTokenGuard, OpenApiDocument],
  exports: [AdminTokenGuard, OpenApiDocument, ThrottleModule],
})
export class AdminModule {}
