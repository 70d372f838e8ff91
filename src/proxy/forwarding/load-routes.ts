import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLError } from 'yaml';
import type { z } from 'zod';
import type { ProxyConfig } from '../../config/app-config';
import type { Route } from './route';
import { routeEntrySchema, routeFileSchema } from './route-file.schema';
import { routeKeyOf } from './route-key';
import { errorCode } from './upstream-failure';

export type RoutesResult = { ok: true; routes: Route[] } | { ok: false; problems: string[] };

/** The UPSTREAM_URL shortcut: `/api` → that upstream, prefix stripped, any kind of caller; a route entry like any other. */
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
    const clash = routes.findIndex((route) => routeKeyOf(route.path) === routeKeyOf(SHORTCUT_PATH));
    if (clash !== -1) problems.push(`UPSTREAM_URL: its ${SHORTCUT_PATH} route is also defined by ROUTES_FILE routes[${clash}]`);
    const shortcut = routeEntrySchema.safeParse({ path: SHORTCUT_PATH, upstream: config.upstreamUrl });
    if (shortcut.success) routes.push(shortcut.data);
    else problems.push(...shortcut.error.issues.map((issue) => `UPSTREAM_URL: ${issue.message}`));
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

