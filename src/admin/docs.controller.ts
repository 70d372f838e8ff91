import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Response } from 'express';
import { RateLimit } from '../throttle/rate-limit.decorator';
import { AdminApi, AdminPlane } from './admin-plane.decorator';
import { DOCS_PAGE, DOCS_PAGE_POLICY, DocsAssets } from './docs-page';
import { OpenApiDocument } from './openapi-document';

/**
 * The OpenAPI description needs the admin token; the page that renders it does not: it holds no data, asks for the
 * token in the browser and fetches the description with it (a browser cannot add a bearer header to a navigation).
 */
@ApiExcludeController()
@Controller()
export class DocsController {
  private readonly assets = new DocsAssets();

  constructor(private readonly document: OpenApiDocument) {}

  @Get('openapi.json')
  @AdminApi()
  openapi(): OpenAPIObject {
    return this.document.get();
  }

  @Get('docs')
  @AdminPlane()
  @RateLimit('admin')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DOCS_PAGE_POLICY)
  @Header('cache-control', 'no-store')
  docs(): string {
    return DOCS_PAGE;
  }

  @Get('docs/:asset')
  @AdminPlane()
  @RateLimit('admin')
  asset(@Param('asset') name: string, @Res() response: Response): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException('Not found.');
    // Revalidated (Express adds an ETag), so a new version of the BFF is picked up at once.
    response.setHeader('content-security-policy', DOCS_PAGE_POLICY);
    response.setHeader('cache-control', 'no-cache');
    response.type(asset.contentType).send(asset.body);
  }
}
