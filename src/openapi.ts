import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { OpenApiDocument } from './admin/openapi-document';
import { ConsumerModule } from './consumer/consumer.module';
import { HealthModule } from './health/health.module';

export function buildOpenApiDocument(app: INestApplication): void {
  const info = new DocumentBuilder()
    .setTitle('BFF admin API')
    .setDescription('Consumers, their sessions, health and metrics. Every endpoint but /healthz needs the admin bearer token.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, info, { include: [ConsumerModule, HealthModule] });
  app.get(OpenApiDocument).set(document);
}
