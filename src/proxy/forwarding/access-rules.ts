import { AppError } from '../../common/app.error';
import type { Route } from './route';

export interface AccessFacts {
  groups: readonly string[];
  scopes: readonly string[];
  audiences: readonly string[];
  /** How the user authenticated (ID token for sessions, access token claims for bearer callers). */
  acr?: string;
  /** `auth_time`, epoch seconds. */
  authTime?: number;
}

/** A route's `groups` (any one), `scopes` (all) and `audience` rules; the first unmet one is the 403's reason. */
export function checkRouteAccess(route: Route, facts: AccessFacts): AppError | undefined {
  if (route.groups?.length && !route.groups.some((group) => facts.groups.includes(group))) {
    return new AppError(403, 'insufficient_groups', 'This route requires membership of one of its groups.', {
      details: [{ required_any: route.groups }],
    });
  }
  const missing = route.scopes?.filter((scope) => !facts.scopes.includes(scope)) ?? [];
  if (missing.length > 0) {
    return new AppError(403, 'insufficient_scope', 'The access token lacks scopes this route requires.', {
      details: [{ missing_scopes: missing }],
    });
  }
  if (route.audience && !facts.audiences.includes(route.audience)) {
    return new AppError(403, 'invalid_audience', 'The access token is not meant for this route.', {
      details: [{ required_audience: route.audience }],
    });
  }
  return undefined;
}
