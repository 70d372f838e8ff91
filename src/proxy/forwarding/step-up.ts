import { AppError } from '../../common/app.error';
import { loginUrl, returnToFor } from '../../common/public-surface';
import type { AccessFacts } from './access-rules';
import type { Caller } from './caller';
import type { Route } from './route';
import { parseChallenges } from './www-authenticate';

/** What a new login must achieve (RFC 9470 §3): an `acr` among `acrValues`, and an authentication at most `maxAge` s old. */
export interface StepUpNeed {
  acrValues?: readonly string[];
  maxAge?: number;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;
const SECONDS = /^\d{1,10}$/;

/**
 * A route's `acr` (one of) and `max_age` rules against how the caller authenticated. Unmet, the answer names all of
 * the route's rules, not only the failing one: the login that follows must satisfy every one of them.
 */
export function unmetStepUp(route: Pick<Route, 'acr' | 'maxAge'>, facts: Partial<Pick<AccessFacts, 'acr' | 'authTime'>>, nowMs = Date.now()): StepUpNeed | undefined {
  const { acr, maxAge } = route;
  if (acr === undefined && maxAge === undefined) return undefined;
  const acrMet = acr === undefined || (facts.acr !== undefined && acr.includes(facts.acr));
  // Without auth_time there is no telling how old the authentication is: not recent enough.
  const ageMet = maxAge === undefined || (facts.authTime !== undefined && Math.floor(nowMs / 1000) - facts.authTime <= maxAge);
  if (acrMet && ageMet) return undefined;
  return { ...(acr ? { acrValues: acr } : {}), ...(maxAge !== undefined ? { maxAge } : {}) };
}

/** A route's step-up would send browsers to a login that /auth/login refuses: one problem line per route and option. */
export function stepUpConfigProblems(routes: readonly Route[], forwarded: ReadonlySet<string>): string[] {
  return routes.flatMap((route) => [
    ...(route.acr && !forwarded.has('acr_values') ? [`ROUTES_FILE route ${route.path}: acr needs acr_values in LOGIN_FORWARD_PARAMS`] : []),
    ...(route.maxAge !== undefined && !forwarded.has('max_age') ? [`ROUTES_FILE route ${route.path}: max_age needs max_age in LOGIN_FORWARD_PARAMS`] : []),
  ]);
}

/** RFC 9470 §3: an upstream's `Bearer error="insufficient_user_authentication"` challenge, and what it asks for. */
export function insufficientUserAuthentication(header: string | readonly string[] | undefined): StepUpNeed | undefined {
  const challenge = parseChallenges(header).find(
    ({ scheme, params }) => scheme === 'bearer' && params['error'] === 'insufficient_user_authentication',
  );
  if (!challenge) return undefined;
  const acrValues = challenge.params['acr_values']?.trim();
  const maxAge = challenge.params['max_age'];
  // Anything else an upstream put there is dropped rather than carried into a login URL.
  return {
    ...(acrValues && PRINTABLE_ASCII.test(acrValues) ? { acrValues: acrValues.split(/ +/) } : {}),
    ...(maxAge !== undefined && SECONDS.test(maxAge) ? { maxAge: Number(maxAge) } : {}),
  };
}

/** The session caller's 401: `login_url` asks the IdP for what is missing and comes back to the SPA's page. */
export function stepUpRequired(need: StepUpNeed, referer: string | undefined, publicOrigin: string): AppError {
  const query = [`returnTo=${encodeURIComponent(returnToFor(referer, publicOrigin) ?? '/')}`];
  if (need.acrValues?.length) query.push(`acr_values=${encodeURIComponent(need.acrValues.join(' '))}`);
  if (need.maxAge !== undefined) query.push(`max_age=${need.maxAge}`);
  return new AppError(401, 'step_up_required', 'This call needs a stronger or more recent sign-in.', {
    body: { login_url: loginUrl(query) },
  });
}

/** A token caller's 401, as RFC 9470 §3 has a resource server answer: the client obtains a suitable token itself. */
export function insufficientUserAuthenticationError(need: StepUpNeed): AppError {
  const challenge = ['Bearer error="insufficient_user_authentication"', 'error_description="A stronger or more recent authentication is required"'];
  if (need.acrValues?.length) challenge.push(`acr_values="${need.acrValues.join(' ')}"`);
  if (need.maxAge !== undefined) challenge.push(`max_age=${need.maxAge}`);
  return new AppError(401, 'insufficient_user_authentication', 'The token\'s authentication is not strong or recent enough for this route.', {
    headers: { 'www-authenticate': challenge.join(', ') },
  });
}

/** Route `acr`/`max_age` rules: a session is sent to log in again, a token client gets RFC 9470's challenge. */
export function stepUpRefusal(route: Pick<Route, 'acr' | 'maxAge'>, caller: Pick<Caller, 'kind' | 'identity'>, referer: string | undefined, publicOrigin: string): AppError | undefined {
  const need = unmetStepUp(route, caller.identity);
  if (!need) return undefined;
  return caller.kind === 'session' ? stepUpRequired(need, referer, publicOrigin) : insufficientUserAuthenticationError(need);
}
