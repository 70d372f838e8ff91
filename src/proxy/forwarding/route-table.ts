import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLError } from 'yaml';
import type { z } from 'zod';
import type { ProxyConfig } from '../../config/app-config';
import { normalisePath } from './request-path';
import type { BadPath, Route, RouteMatch } from './route';
import { DEFAULT_MAX_CONNECTIONS, routeFileSchema } from './route-file.schema';
import { routeKeyOf } from './route-key';
import { errorCode } from './upstream-failure';

export type RoutesResult = { ok: true; routes: Route[] } | { ok: false; problems: string[] };

/** The UPSTREAM_URL shortcut: `/api` → that upstream, prefix stripped, any kind of caller. */
const SHORTCUT_PATH = '/api';

/** Reads ROUTES_FILE and adds the UPSTREAM_URL shortcut; one problem line per mistake, naming where it is. */
export function loadRoutes(config: Pick<ProxyConfig, 'upstreamUrl' | 'routesFile'>): RoutesResult {
  const routes: Route[] = [];
  const problems: string[] = [];
  if (config.routesFile !== undefined) {
    const fromFile = readRouteFile(config.routesFile);
    if (fromFile.ok) routes.push(...fromFile.routes);
    else problems.push(...fromFile.problems);
  }
  if (config.upstreamUrl !== undefined) {
    const url = new URL(config.upstreamUrl);
    const clash = routes.findIndex((route) => routeKeyOf(route.path) === routeKeyOf(SHORTCUT_PATH));
    if (clash !== -1) problems.push(`UPSTREAM_URL: its ${SHORTCUT_PATH} route is also defined by ROUTES_FILE routes[${clash}]`);
    routes.push({
      path: SHORTCUT_PATH,
      origin: url.origin,
      basePath: url.pathname.replace(/\/+$/, ''),
      stripPath: true,
      auth: 'any',
      token: 'access',
      timeoutMs: 30_000,
      websocket: true,
      maxConnections: DEFAULT_MAX_CONNECTIONS,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, routes };
}

function readRouteFile(file: string): RoutesResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error: unknown) {
    return { ok: false, problems: [`ROUTES_FILE: cannot read ${file} (${errorCode(error)})`] };
  }
  let document: unknown;
  try {
    // Warnings would go to stderr with the offending line quoted: only errors count, and they are described below.
    document = parseYaml(text, { logLevel: 'error' });
  } catch (error: unknown) {
    return { ok: false, problems: [`ROUTES_FILE: ${file} is not valid YAML: ${yamlReason(error)}`] };
  }
  // reportInput only tells a missing field from a wrong one; the input itself is never printed.
  const parsed = routeFileSchema.safeParse(document, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(describeIssue) };
  const problems = duplicatePaths(parsed.data.routes);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, routes: parsed.data.routes };
}

/** The parser's error code and position; its message can quote the file (`Unresolved alias: <text>`), so it is not used. */
function yamlReason(error: unknown): string {
  if (!(error instanceof YAMLError)) return 'parse error';
  const what = error.code.toLowerCase().replace(/_/g, ' ');
  const where = error.linePos?.[0];
  return where ? `${what} at line ${where.line}, column ${where.col}` : what;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`), '');
  const field = where.replace(/^\./, '');
  const location = field ? `ROUTES_FILE ${field}` : 'ROUTES_FILE';
  if (issue.code === 'unrecognized_keys') return `${location}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  return `${location}: ${missing ? 'is required' : issue.message}`;
}

function duplicatePaths(routes: readonly Route[]): string[] {
  const firstIndex = new Map<string, number>();
  return routes.flatMap((route, index) => {
    // Paths that differ only in case are one route: matching ignores case.
    const key = routeKeyOf(route.path);
    const first = firstIndex.get(key);
    if (first === undefined) firstIndex.set(key, index);
    return first === undefined ? [] : [`ROUTES_FILE routes[${index}].path: ${route.path} is already defined by routes[${first}]`];
  });
}

/**
 * Longest-prefix matching on whole segments, after normalising the path so that nothing escapes a prefix, on the
 * path's route key (case-insensitive): the route a path gets is the one every upstream would read it as.
 */
export class RouteTable {
  private readonly byPath = new Map<string, Route>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) this.byPath.set(routeKeyOf(route.path), route);
  }

  match(rawPath: string): RouteMatch | BadPath | undefined {
    const path = normalisePath(rawPath, (segments) => this.longestPrefix(segments)?.depth ?? 0);
    if (path === undefined) return { rejected: 'bad_path' };
    const found = this.longestPrefix(path.decoded);
    if (found === undefined) return undefined;
    const { route, depth } = found;
    // Leaving a prefix and coming back (`/api/../api/x`) is no more legitimate than leaving it.
    if (path.lowestDepth < depth) return { rejected: 'bad_path' };
    const kept = route.stripPath ? path.encoded.slice(depth) : path.encoded;
    const trailing = path.trailingSlash ? '/' : '';
    const rest = kept.length > 0 ? `/${kept.join('/')}${trailing}` : trailing;
    const upstreamPath = `${route.basePath}${rest}` || '/';
    return { route, upstreamPath: `${upstreamPath}${path.query}` };
  }

  private longestPrefix(segments: readonly string[]): { route: Route; depth: number } | undefined {
    // Each shorter prefix is a slice of the full path: one join instead of one per depth.
    let prefix = routeKeyOf(`/${segments.join('/')}`);
    for (let depth = segments.length; depth >= 0; depth -= 1) {
      const route = this.byPath.get(prefix);
      if (route !== undefined) return { route, depth };
      prefix = depth > 1 ? prefix.slice(0, prefix.lastIndexOf('/')) : '/';
    }
    return undefined;
  }
}
