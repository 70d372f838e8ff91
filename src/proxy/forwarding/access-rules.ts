import { AppError } from '../../common/app.error';
import type { CallerIdentity } from '../../identity/caller-identity';
import type { Route } from './route';

/** What a route's rules are checked against: a view of the identity (the upstream is told another, identity-headers.ts). */
export type AccessFacts = Pick<CallerIdentity, 'groups' | 'scopes' | 'audiences' | 'acr' | 'authTime'>;

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
