import type { ExchangeTarget } from '../../token-exchange/exchange-target';

export const ROUTE_AUTH_MODES = ['session', 'bearer', 'client_credentials', 'any', 'none'] as const;
export type RouteAuth = (typeof ROUTE_AUTH_MODES)[number];

export const ROUTE_TOKENS = ['access', 'id'] as const;
export type RouteToken = (typeof ROUTE_TOKENS)[number];

/** RFC 9449 for bearer callers: `off` refuses the DPoP scheme, `optional` demands a proof of bound tokens, `required` of all. */
export const ROUTE_DPOP_MODES = ['off', 'optional', 'required'] as const;
export type RouteDpop = (typeof ROUTE_DPOP_MODES)[number];

/** One validated entry of ROUTES_FILE (or the UPSTREAM_URL shortcut). */
export interface Route {
  /** Prefix, matched on whole segments; `/` or no trailing slash. */
  path: string;
  /** Upstream origin, e.g. `http://orders:8080`. */
  origin: string;
  /** Upstream base path without a trailing slash; `''` when the upstream URL has none. */
  basePath: string;
  stripPath: boolean;
  auth: RouteAuth;
  groups?: readonly string[];
  scopes?: readonly string[];
  audience?: string;
  /** Step-up (RFC 9470): the caller's `acr` must be one of these. */
  acr?: readonly string[];
  /** Step-up: the caller's `auth_time` at most this many seconds ago. */
  maxAge?: number;
  token: RouteToken;
  /** The whole exchange, request body included. */
  timeoutMs: number;
  /** Whether `Upgrade: websocket` is proxied on this route. */
  websocket: boolean;
  /** This route's own connection budget to its upstream. */
  maxConnections: number;
  /** DPoP proofs of bearer callers (RFC 9449). */
  dpop: RouteDpop;
  /** RFC 8693: the upstream receives a token exchanged for this target instead of the caller's. */
  tokenExchange?: ExchangeTarget;
}

export interface RouteMatch {
  route: Route;
  /** Normalised path to send upstream, with the original query string appended untouched. */
  upstreamPath: string;
}

/** The path is malformed or tries to escape a route prefix: answer 400, never forward. */
export interface BadPath {
  rejected: 'bad_path';
}
