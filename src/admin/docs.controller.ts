import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AdminApi } from './admin-plane.decorator';
import { renderDocsPage } from './docs-page';
import { OpenApiDocument } from './openapi-document';

@ApiExcludeController()
@AdminApi()
@Controller()
export class DocsController {
  private page: string | undefined;

  constructor(private readonly document: OpenApiDocument) {}

  @Get('openapi.json')
  openapi(): OpenAPIObject {
    return this.document.get();
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  // The page is inline by design (see renderDocsPage); it loads nothing from elsewhere.
  @Header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:")
  docs(): string {
    this.page ??= renderDocsPage(this.document.get());
    return this.page;
  }
}
