import { boundCookieName, LOGIN_COOKIE_PREFIXES } from '../../common/public-surface';

/** The BFF's own cookie names: the session cookie, the device-bound session's cookie and the login-binding prefixes. */
export interface OwnCookies {
  sessionCookieName: string;
  /** Other exact names (the bound cookie). */
  names?: readonly string[];
  /** Name prefixes (`bff-login-`, `__Host-bff-login-`). */
  prefixes: readonly string[];
}

/** The BFF's own cookies, given its session cookie's name. */
export function ownCookiesOf(sessionCookieName: string): OwnCookies {
  return { sessionCookieName, names: [boundCookieName(sessionCookieName)], prefixes: LOGIN_COOKIE_PREFIXES };
}

/** The same, in the request's strip-list form (`withoutCookies`): the other names, and the login prefixes as `prefix*`. */
export function loginCookiePatterns(own: OwnCookies): string[] {
  return [...(own.names ?? []), ...own.prefixes.map((prefix) => `${prefix}*`)];
}

/**
 * An upstream's `Set-Cookie` lines minus those that would set or clear one of the BFF's own cookies: a less-trusted
 * upstream must not plant a session (fixation) or log a user out. Names are compared case-insensitively and trimmed,
 * as lenient cookie stores read them.
 */
export function withoutOwnCookies(setCookie: string | readonly string[], own: OwnCookies): string[] {
  const lines = typeof setCookie === 'string' ? [setCookie] : setCookie;
  return lines.filter((line) => !isOwnCookie(cookieNameOf(line), own));
}

export function isOwnCookie(name: string, own: OwnCookies): boolean {
  const lower = name.toLowerCase();
  if (lower === own.sessionCookieName.toLowerCase() || (own.names ?? []).some((other) => lower === other.toLowerCase())) return true;
  return own.prefixes.some((prefix) => lower.startsWith(prefix.toLowerCase()));
}

function cookieNameOf(line: string): string {
  const pair = line.split(';', 1)[0] ?? '';
  const separator = pair.indexOf('=');
  return (separator === -1 ? '' : pair.slice(0, separator)).trim();
}
