import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRoutes, type RoutesResult } from '../../src/proxy/forwarding/load-routes';
import type { Route } from '../../src/proxy/forwarding/route';

/** A route with the loader's defaults, for unit specs of what consumes one. */
export function routeFor(path: string, overrides: Partial<Route> = {}): Route {
  return { path, origin: 'http://upstream:8080', basePath: '', stripPath: true, auth: 'any', token: 'access', timeoutMs: 30_000, websocket: true, maxConnections: 128, dpop: 'off', ...overrides };
}

/** A temporary routes file per test, removed after it: `load(yaml)` writes it and runs the loader on it. */
export function useRoutesFile() {
  const state = { dir: '', file: '' };
  beforeEach(() => {
    state.dir = mkdtempSync(join(tmpdir(), 'routes-'));
    state.file = join(state.dir, 'routes.yaml');
  });
  afterEach(() => {
    rmSync(state.dir, { recursive: true, force: true });
  });
  return {
    dir: () => state.dir,
    load(yaml: string, upstreamUrl?: string): RoutesResult {
      writeFileSync(state.file, yaml);
      return loadRoutes({ routesFile: state.file, upstreamUrl });
    },
  };
}
