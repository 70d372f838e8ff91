import type { NextFunction, Request, Response } from 'express';
import { isAdminRequest } from '../common/plane';
import type { MetricsService } from './metrics.service';

/** Counts and times every request; the route label is the matched route pattern, never the raw path. */
export function requestMetrics(metrics: MetricsService) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const listener = isAdminRequest(request) ? 'admin' : 'browser';
      const route = routeLabel(request);
      metrics.requests.inc({ listener, route, method: request.method, status: response.statusCode });
      metrics.latency.observe({ listener, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** Proxied calls never reach this middleware: the proxy records its own, labelled by route prefix. */
function routeLabel(request: Request): string {
  const route: unknown = request.route;
  if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string') {
    return `${request.baseUrl}${route.path}`;
  }
  return 'unmatched';
}
