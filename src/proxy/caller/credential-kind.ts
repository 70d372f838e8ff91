import type { RouteAuth } from '../forwarding/route';
import type { TokenScheme } from './dpop/dpop-rule';

/**
 * The credential a request presents to a route: the one rule the cached and the uncached path both follow. A bearer
 * token or a Basic pair counts only where the route takes that kind; otherwise a route that takes sessions reads the
 * cookie (whatever `Authorization` says), and one that does not has no credential to go on. A token comes as `Bearer` or
 * as `DPoP` (RFC 9449 §7.1): which one the route's `dpop` rule judges (dpop-rule.ts).
 */
export type Credential = { kind: 'bearer'; token: string; scheme: TokenScheme } | { kind: 'client_credentials'; authorization: string } | { kind: 'session' } | { kind: 'none' };

const SESSION: Credential = { kind: 'session' };
const NONE: Credential = { kind: 'none' };
const BEARER = /^bearer /i;
const DPOP = /^dpop /i;
const BASIC = /^basic /i;

export function credentialOf(authorization: string | undefined, auth: RouteAuth): Credential {
  if (authorization !== undefined) {
    if (BEARER.test(authorization) && allows(auth, 'bearer')) return { kind: 'bearer', token: authorization.slice(7).trim(), scheme: 'bearer' };
    if (DPOP.test(authorization) && allows(auth, 'bearer')) return { kind: 'bearer', token: authorization.slice(5).trim(), scheme: 'dpop' };
    if (BASIC.test(authorization) && allows(auth, 'client_credentials')) return { kind: 'client_credentials', authorization };
  }
  return allows(auth, 'session') ? SESSION : NONE;
}

function allows(routeAuth: RouteAuth, mode: 'session' | 'bearer' | 'client_credentials'): boolean {
  return routeAuth === mode || routeAuth === 'any';
}
