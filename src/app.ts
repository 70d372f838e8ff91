import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { lazyAdminPlane } from './admin/admin-plane';
import { AppModule } from './app.module';
import { HttpDrain } from './common/http-drain';
import { frameworkLogger } from './common/quiet-framework.logger';
import { markAdminRequest } from './common/plane';
import type { AppConfig } from './config/app-config';
import { runMigrationsLocked } from './database/migrate';
import { MetricsService } from './metrics/metrics.service';
import { requestMetrics } from './metrics/request-metrics.middleware';
import { ProxyHandler } from './proxy/proxy.handler';
import { WebSocketProxy } from './proxy/websocket.proxy';
import type { Route } from './proxy/forwarding/route';
import { stepUpConfigProblems } from './proxy/forwarding/step-up';
import { BODY_LIMIT_BYTES, bodyLimit } from './security/body-limit';
import { hardenListener } from './security/client-error';
import { securityHeaders } from './security/security-headers';
import { spaStatic } from './spa/spa-static';
import { tracedRequests } from './tracing/traced-requests';
import { Tracing } from './tracing/tracing';
import { ConfigurationError } from './config/configuration.error';
import { asksOfIdp, idpFeatureProblems, type FeatureNeeds } from './oidc/idp-feature-problems';
import { OidcClient } from './oidc/oidc.client';
import { bootOnly } from './startup/boot-only';
import { StartupError } from './startup/startup-error';

export interface RunningApp {
  app: NestExpressApplication;
  browserUrl: string;
  adminUrl: string;
  /** Where each listener is bound, as configured (`http://0.0.0.0:8000` listens on every interface). */
  listening: { browser: string; admin: string };
  /** Graceful: stop accepting, let in-flight requests finish (SHUTDOWN_GRACE_SECONDS), then close Redis and Postgres. */
  close(): Promise<void>;
}

/** Builds the app, applies migrations, and opens the browser and admin listeners (one process, two ports). */
export async function startApp(config: AppConfig): Promise<RunningApp> {
  const routes = bootOnly(
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- required here, so that the route-file schema, zod and yaml can be forgotten
    () => require('./proxy/forwarding/load-routes') as typeof import('./proxy/forwarding/load-routes'),
    ({ loadRoutes }) => loadRoutes(config.proxy),
  );
  if (!routes.ok) throw new ConfigurationError(routes.problems);
  const stepUpProblems = stepUpConfigProblems(routes.routes, config.oidc.loginForwardParams);
  if (stepUpProblems.length > 0) throw new ConfigurationError(stepUpProblems);
  const spa = config.proxy.spaDir === undefined ? undefined : spaStatic(config.proxy.spaDir);
  // The app's own pino logger from the first line on, so that even a failing start-up logs JSON; the error itself is
  // rethrown (abortOnError: false) for main.ts to report in one line.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, routes.routes), {
    logger: frameworkLogger(config.log.level),
    bodyParser: false,
    abortOnError: false,
  });
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  const tracing = app.get(Tracing);
  if (tracing.enabled) app.use(tracedRequests(tracing));
  app.use(requestMetrics(app.get(MetricsService)));
  app.use(securityHeaders(config.http.secure));
  if (spa) app.use(spa);
  app.use(bodyLimit());
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES });
  app.useBodyParser('urlencoded', { limit: BODY_LIMIT_BYTES, extended: false });
  app.use(lazyAdminPlane(app, config));
  await app.init();
  const featureProblems = await idpFeatureCheck(app, config, routes.routes);
  if (featureProblems.length > 0) {
    await app.close();
    throw new ConfigurationError(featureProblems);
  }

  if (config.database.migrationsRun) await runMigrationsLocked(app.get(DataSource));

  const browser: Server = app.getHttpServer();
  // Proxied routes stream the raw request ahead of Express (no body parser, no security headers over the upstream's own).
  app.get(ProxyHandler).serveFirst(browser);
  const websockets = app.get(WebSocketProxy);
  websockets.attach(browser);
  const expressApp = app.getHttpAdapter().getInstance();
  const admin = createServer((request, response) => {
    markAdminRequest(request);
    expressApp(request, response);
  });
  // After serveFirst: a drain puts itself ahead of every request listener, so it sees proxied requests too.
  const drains = [new HttpDrain(browser), new HttpDrain(admin)];
  hardenListener(browser);
  hardenListener(admin);
  await listen(browser, config.http.port, config.http.host, 'PORT');
  await listen(admin, config.admin.port, config.admin.host, 'ADMIN_PORT');

  return {
    app,
    browserUrl: urlOf(browser),
    adminUrl: urlOf(admin),
    listening: { browser: urlOf(browser, { bound: true }), admin: urlOf(admin, { bound: true }) },
    close: async () => {
      const logger = new NestLogger('Shutdown');
      logger.log({ graceMs: config.shutdown.graceMs }, 'no longer accepting connections; draining in-flight requests');
      // Upgraded sockets are no longer the HTTP server's to drain: close them, and their clients reconnect elsewhere.
      websockets.closeAll();
      const cut = (await Promise.all(drains.map((drain) => drain.drain(config.shutdown.graceMs)))).reduce((sum, count) => sum + count, 0);
      if (cut > 0) logger.warn({ cut }, 'the grace period ended; unfinished requests were cut');
      // Redis, Postgres, the upstream pools and the IdP client close in their onApplicationShutdown hooks.
      await app.close();
      logger.log('stopped');
    },
  };
}

/**
 * Token exchange, userinfo, a client authentication method, PAR or DPoP the IdP does not offer are refused now; an IdP
 * not reachable yet is /readyz's to say.
 */
async function idpFeatureCheck(app: NestExpressApplication, config: AppConfig, routes: readonly Route[]): Promise<string[]> {
  const { userinfo, clientAuth, par, dpop } = config.oidc;
  const needs: FeatureNeeds = { userinfo, clientAuth, par, dpop, tokenExchangeRoutes: routes.filter((route) => route.tokenExchange).map((route) => route.path) };
  if (!asksOfIdp(needs)) return [];
  const metadata = await app.get(OidcClient).metadata().catch(() => undefined);
  return metadata ? idpFeatureProblems(metadata, needs) : [];
}

/** A port that is taken or an address that is not this host's fails the start, naming the variable. */
function listen(server: Server, port: number, host: string, variable: 'PORT' | 'ADMIN_PORT'): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error & { code?: string }) => {
      const hostVariable = variable === 'PORT' ? 'HOST' : 'ADMIN_HOST';
      const blame = error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' ? hostVariable : variable;
      reject(new StartupError(blame, `cannot listen on ${host}:${port} (${variable}, ${hostVariable}): ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

/** A URL to reach the listener (the wildcard address reached over loopback), or, `bound`, the address it is bound to. */
function urlOf(server: Server, { bound = false } = {}): string {
  const { address, port, family } = server.address() as AddressInfo;
  const reachable = bound ? address : address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return `http://${family === 'IPv6' ? `[${reachable}]` : reachable}:${port}`;
}
