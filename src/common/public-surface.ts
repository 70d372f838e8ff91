import { safeReturnTo } from './return-to';

/**
 * The BFF's own surface on the browser listener, spelled once: its endpoints under `/auth` (never proxied, never the
 * SPA, never cached), the login and logout URLs it hands to the SPA, and the names of its own cookies.
 */
export const AUTH_PREFIX = '/auth';

export const AUTH_PATHS = {
  login: `${AUTH_PREFIX}/login`,
  callback: `${AUTH_PREFIX}/callback`,
  logout: `${AUTH_PREFIX}/logout`,
  /** The public half of the client's private_key_jwt key, for IdPs that fetch it. */
  jwks: `${AUTH_PREFIX}/jwks`,
  /** Device Bound Session Credentials: where a browser registers its device key, and proves it holds it. */
  deviceRegistration: `${AUTH_PREFIX}/device-binding/register`,
  deviceRefresh: `${AUTH_PREFIX}/device-binding/refresh`,
} as const;

/** The login-binding cookies' name prefixes, on http and on https; the proxy keeps them from upstreams both ways. */
export const LOGIN_COOKIE_PREFIXES = ['bff-login-', '__Host-bff-login-'] as const;

/** The short-lived cookie a device-bound session needs beside the session cookie (`__Host-bff-session-bound`). */
export function boundCookieName(sessionCookieName: string): string {
  return `${sessionCookieName}-bound`;
}

/** Whether a request target (path, with or without its query) is one of the BFF's own `/auth` endpoints. */
export function isAuthPath(target: string): boolean {
  if (!target.startsWith(AUTH_PREFIX)) return false;
  const next = target.charCodeAt(AUTH_PREFIX.length);
  // end of string, '/' or '?'
  return Number.isNaN(next) || next === 0x2f || next === 0x3f;
}

/** `/auth/login`, with its query parameters (already encoded) when there are any. */
export function loginUrl(query: readonly string[] = []): string {
  return query.length === 0 ? AUTH_PATHS.login : `${AUTH_PATHS.login}?${query.join('&')}`;
}

/** `/auth/logout?sid=<handle>`: the handle is the logout's proof that it comes from the app. */
export function logoutUrl(sessionHandle: string): string {
  return `${AUTH_PATHS.logout}?sid=${sessionHandle}`;
}

/** `/auth/login?returnTo=<the page's path>` when the page is known from a same-origin Referer, else `/auth/login`. */
export function loginUrlFor(referer: string | undefined, publicOrigin: string): string {
  const returnTo = returnToFor(referer, publicOrigin);
  return loginUrl(returnTo === undefined ? [] : [`returnTo=${encodeURIComponent(returnTo)}`]);
}

/** The SPA page a call came from, when a same-origin Referer names one that /auth/login accepts as returnTo. */
export function returnToFor(referer: string | undefined, publicOrigin: string): string | undefined {
  if (!referer) return undefined;
  try {
    const page = new URL(referer);
    // Only a returnTo that /auth/login accepts: a Referer of `https://app//x` would otherwise offer a dead link.
    return page.origin === publicOrigin ? safeReturnTo(page.pathname + page.search, publicOrigin) : undefined;
  } catch {
    // an unparsable Referer is simply unknown
    return undefined;
  }
}
