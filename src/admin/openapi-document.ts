import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The admin API's OpenAPI description, generated from the admin plane's controllers on the first request for it. */
export class OpenApiDocument {
  private document: OpenAPIObject | undefined;
  private app: INestApplication | undefined;

  describe(app: INestApplication): void {
    this.app = app;
  }

  get(): OpenAPIObject {
    if (!this.app) throw new Error('The OpenAPI document describes the admin plane, which has not been created.');
    this.document ??= SwaggerModule.createDocument(this.app, INFO);
    return this.document;
  }
}

const INFO = new DocumentBuilder()
  .setTitle('BFF admin API')
  .setDescription('Consumers, their sessions, health and metrics. Every endpoint but /healthz needs the admin bearer token.')
  .setVersion('1')
  .addBearerAuth()
  .build();
