import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAdminRequest } from '../common/plane';
import type { Tracing } from './tracing';

type Next = () => void;

/**
 * A server span for each request the app itself answers (login, callback, logout, health, admin API); proxied calls
 * get theirs from the ProxyHandler. Installed only when span export is on.
 */
export function tracedRequests(tracing: Tracing): (request: IncomingMessage, response: ServerResponse, next: Next) => void {
  return (request, response, next) => {
    const span = tracing.request(request, isAdminRequest(request) ? 'admin' : 'browser');
    if (!span) return next();
    response.once('close', () => span.end(response.statusCode, routeOf(request)));
    span.run(next);
  };
}

/** The Express route template that answered (`/admin/consumers/:id`), never the path as requested. */
function routeOf(request: IncomingMessage): string | undefined {
  const { route, baseUrl } = request as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  return typeof route?.path === 'string' ? `${baseUrl ?? ''}${route.path}` : undefined;
}
