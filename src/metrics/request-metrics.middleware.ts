import type { NextFunction, Request, Response } from 'express';
import { isAdminRequest } from '../common/plane';
import type { MetricsService } from './metrics.service';

/** Counts and times every request; the route label is the matched route pattern, never the raw path. */
export function requestMetrics(metrics: MetricsService) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const listener = isAdminRequest(request) ? 'admin' : 'browser';
      const route = routeLabel(request, response);
      metrics.requests.inc({ listener, route, method: request.method, status: response.statusCode });
      metrics.latency.observe({ listener, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

function routeLabel(request: Request, response: Response): string {
  const proxyRoute: unknown = response.locals['metricsRoute'];
  if (typeof proxyRoute === 'string') return proxyRoute;
  const route: unknown = request.route;
  if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string') {
    return `${request.baseUrl}${route.path}`;
  }
  return 'unmatched';
}
