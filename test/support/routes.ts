import type { Route } from '../../src/proxy/forwarding/route';

/** A route with the loader's defaults, for unit specs of what consumes one. */
export function routeFor(path: string, overrides: Partial<Route> = {}): Route {
  return { path, origin: 'http://upstream:8080', basePath: '', stripPath: true, auth: 'any', token: 'access', timeoutMs: 30_000, websocket: true, maxConnections: 128, ...overrides };
}
