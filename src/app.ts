import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { markAdminRequest } from './common/plane';
import type { AppConfig } from './config/app-config';
import { runMigrationsLocked } from './database/migrate';
import { MetricsService } from './metrics/metrics.service';
import { requestMetrics } from './metrics/request-metrics.middleware';
import { buildOpenApiDocument } from './openapi';
import { ProxyHandler } from './proxy/proxy.handler';
import { loadRoutes } from './proxy/route-table';
import { ConfigurationError } from './config/configuration.error';

export interface RunningApp {
  app: NestExpressApplication;
  browserUrl: string;
  adminUrl: string;
  close(): Promise<void>;
}

/** Builds the app, applies migrations, and opens the browser and admin listeners (one process, two ports). */
export async function startApp(config: AppConfig): Promise<RunningApp> {
  const routes = loadRoutes(config.proxy);
  if (!routes.ok) throw new ConfigurationError(routes.problems);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  app.use(requestMetrics(app.get(MetricsService)));
  // Proxied routes stream the raw request, so the proxy runs before any body parser, and before helmet so that
  // upstream responses keep their own headers.
  app.use(app.get(ProxyHandler).middleware);
  app.use(helmet());
  app.useBodyParser('json', { limit: '64kb' });
  app.useBodyParser('urlencoded', { limit: '64kb', extended: false });
  buildOpenApiDocument(app);
  await app.init();

  if (config.database.migrationsRun) await runMigrationsLocked(app.get(DataSource));

  const browser: Server = app.getHttpServer();
  const expressApp = app.getHttpAdapter().getInstance();
  const admin = createServer((request, response) => {
    markAdminRequest(request);
    expressApp(request, response);
  });
  await listen(browser, config.http.port, config.http.host);
  await listen(admin, config.admin.port, config.admin.host);

  return {
    app,
    browserUrl: urlOf(browser),
    adminUrl: urlOf(admin),
    close: async () => {
      await Promise.all([closeServer(browser), closeServer(admin)]);
      await app.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function urlOf(server: Server): string {
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address === '0.0.0.0' ? '127.0.0.1' : address;
  return `http://${host}:${port}`;
}
