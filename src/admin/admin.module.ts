import { Global, Module } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard';
import { DocsController } from './docs.controller';
import { OpenApiDocument } from './openapi-document';

@Global()
@Module({ controllers: [DocsController], providers: [AdminTokenGuard, OpenApiDocument], exports: [AdminTokenGuard, OpenApiDocument] })
export class AdminModule {}
