import { normalisePath } from './request-path';
import type { BadPath, Route, RouteMatch } from './route';
import { routeKeyOf } from './route-key';

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
