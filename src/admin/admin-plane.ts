import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../common/app.error';
import { frameworkLogger } from '../common/quiet-framework.logger';
import { sendError } from '../common/all-exceptions.filter';
import { isAdminRequest } from '../common/plane';
import type { AppConfig } from '../config/app-config';

/** The admin plane's paths (as Express matches them: any case, an optional trailing slash); the rest of the admin port is the request app's. */
const ADMIN_PLANE_PATH = /^\/(?:consumers(?:\/.*)?|openapi\.json\/?|docs(?:\/.*)?)$/i;
/** After a failed build, requests are answered 503 this long before the next try: each try is hundreds of ms of CPU, before any token check. */
export const ADMIN_PLANE_RETRY_MS = 5_000;

type PlaneFactory = (parent: NestExpressApplication, config: AppConfig) => Promise<NestExpressApplication>;

/**
 * The admin plane (consumers, their sessions, the OpenAPI description and /docs) is code the request path never runs:
 * with their DTOs, class-validator and Swagger it is about a tenth of the process's heap. It is loaded and built as a
 * second Nest application, sharing the request app's instances, on the first admin request for one of its paths; that
 * request waits for it (a few hundred milliseconds), later ones go straight to it. /healthz, /readyz and /metrics stay
 * in the request app, so probes and scrapes never load it. It holds no connection or timer of its own: closing the
 * request app closes everything it uses.
 */
export function lazyAdminPlane(parent: NestExpressApplication, config: AppConfig, create: PlaneFactory = createAdminPlane, now = Date.now): RequestHandler {
  let plane: Promise<NestExpressApplication> | undefined;
  let retryAt = 0;
  const logger = new Logger('AdminPlane');
  return (request: Request, response: Response, next: NextFunction): void => {
    if (!isAdminRequest(request) || !ADMIN_PLANE_PATH.test(request.path)) return next();
    if (!plane && now() < retryAt) return sendError(response, unavailable(retryAt - now()), logger);
    plane ??= create(parent, config).catch((error: unknown) => {
      plane = undefined;
      retryAt = now() + ADMIN_PLANE_RETRY_MS;
      throw error;
    });
    plane.then(
      (app) => (app.getHttpAdapter().getInstance() as RequestHandler)(request, response, next),
      // Logged and answered 500; requests in the next few seconds get 503, then it is tried again.
      (error: unknown) => sendError(response, error, logger),
    );
  };
}

function unavailable(waitMs: number): AppError {
  return new AppError(503, 'admin_plane_unavailable', 'The admin API could not be loaded; it is tried again shortly.', {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
  });
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
