import { authFailureOf, isOwnLoginUrl, type AuthFailure } from './auth-failure.js';
import { leavingPage, type ResolvedOptions } from './client-options.js';
import { loginUrl } from './login-url.js';

export interface BffRequestInit extends RequestInit {
  /**
   * Default true: a BFF `401` sends the browser to login (back to this page afterwards) and the promise stays
   * pending. False: the `401` is returned like any response, for the caller to handle.
   */
  loginOnUnauthorized?: boolean;
}

export type BffFetch = (input: RequestInfo | URL, init?: BffRequestInit) => Promise<Response>;

/** `window.fetch` with the CSRF header and same-origin credentials, turning the BFF's `401`s into a login. */
export function createBffFetch(options: ResolvedOptions): BffFetch {
  return async (input, init = {}) => {
    const { loginOnUnauthorized = true, ...requestInit } = init;
    const headers = new Headers(requestInit.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set(options.csrfHeader, '1');
    const response = await fetch(input, { credentials: 'same-origin', ...requestInit, headers });
    // Only the BFF's own answers speak its contract; a 401 from another origin is that origin's business.
    if (!loginOnUnauthorized || new URL(response.url).origin !== window.location.origin) return response;
    const failure = await authFailureOf(response);
    const destination = failure && loginDestination(failure);
    if (destination === undefined) return response;
    options.navigate(destination);
    return leavingPage<Response>();
  };
}

/** Step-up carries its own parameters (`acr_values`, `max_age`) in `login_url`; the session reasons just need a login. */
export function loginDestination(failure: AuthFailure): string | undefined {
  if (failure.error !== 'step_up_required') return loginUrl();
  return isOwnLoginUrl(failure.login_url) ? failure.login_url : undefined;
}
