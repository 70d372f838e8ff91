import type { RouteAuth } from '../forwarding/route';

/**
 * The credential a request presents to a route: the one rule the cached and the uncached path both follow. A bearer
 * token or a Basic pair counts only where the route takes that kind; otherwise a route that takes sessions reads the
 * cookie (whatever `Authorization` says), and one that does not has no credential to go on.
 */
export type Credential = { kind: 'bearer'; token: string } | { kind: 'client_credentials'; authorization: string } | { kind: 'session' } | { kind: 'none' };

const SESSION: Credential = { kind: 'session' };
const NONE: Credential = { kind: 'none' };
const BEARER = /^bearer /i;
const BASIC = /^basic /i;

export function credentialOf(authorization: string | undefined, auth: RouteAuth): Credential {
  if (authorization !== undefined) {
    if (BEARER.test(authorization) && allows(auth, 'bearer')) return { kind: 'bearer', token: authorization.slice(7).trim() };
    if (BASIC.test(authorization) && allows(auth, 'client_credentials')) return { kind: 'client_credentials', authorization };
  }
  return allows(auth, 'session') ? SESSION : NONE;
}

function allows(routeAuth: RouteAuth, mode: 'session' | 'bearer' | 'client_credentials'): boolean {
  return routeAuth === mode || routeAuth === 'any';
}
