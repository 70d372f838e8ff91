import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { frameworkLogger } from '../common/quiet-framework.logger';
import { sendError } from '../common/all-exceptions.filter';
import { isAdminRequest } from '../common/plane';
import type { AppConfig } from '../config/app-config';

/** The admin plane's paths (as Express matches them: any case, an optional trailing slash); the rest of the admin port is the request app's. */
const ADMIN_PLANE_PATH = /^\/(?:consumers(?:\/.*)?|openapi\.json\/?|docs(?:\/.*)?)$/i;

/**
 * The admin plane (consumers, their sessions, the OpenAPI description and /docs) is code the request path never runs:
 * with their DTOs, class-validator and Swagger it is about a tenth of the process's heap. It is loaded and built as a
 * second Nest application, sharing the request app's instances, on the first admin request for one of its paths; that
 * request waits for it (a few hundred milliseconds), later ones go straight to it. /healthz, /readyz and /metrics stay
 * in the request app, so probes and scrapes never load it. It holds no connection or timer of its own: closing the
 * request app closes everything it uses.
 */
export function lazyAdminPlane(parent: NestExpressApplication, config: AppConfig): RequestHandler {
  let plane: Promise<NestExpressApplication> | undefined;
  const logger = new Logger('AdminPlane');
  return (request: Request, response: Response, next: NextFunction): void => {
    if (!isAdminRequest(request) || !ADMIN_PLANE_PATH.test(request.path)) return next();
    plane ??= createAdminPlane(parent, config).catch((error: unknown) => {
      plane = undefined;
      throw error;
    });
    plane.then(
      (app) => (app.getHttpAdapter().getInstance() as RequestHandler)(request, response, next),
      // Logged, answered 500, and tried again on the next request.
      (error: unknown) => sendError(response, error, logger),
    );
  };
}

async function createAdminPlane(parent: NestExpressApplication, config: AppConfig): Promise<NestExpressApplication> {
  const started = process.hrtime.bigint();
  const [{ AdminPlaneModule }, { OpenApiDocument }, { describeHealthEndpoints }] = await Promise.all([
    import('./admin-plane.module.js'),
    import('./openapi-document.js'),
    import('./health.docs.js'),
  ]);
  describeHealthEndpoints();
  const document = new OpenApiDocument();
  const app = await NestFactory.create<NestExpressApplication>(AdminPlaneModule.sharing(parent, config, document), {
    logger: frameworkLogger(config.log.level),
    bodyParser: false,
    abortOnError: false,
  });
  // Express reads these from the app that handles the request (request.ip for the rate limits and lockouts).
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  await app.init();
  document.describe(app);
  new Logger('AdminPlane').log({ ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6) }, 'admin plane loaded');
  return app;
}
