import { leavingPage, type ResolvedOptions } from './client-options.js';
import { currentPage } from './current-page.js';
import { loginUrl } from './login-url.js';
import { requestUser } from './user-request.js';

/** The query parameter the BFF's callback adds to `returnTo` when a `prompt=none` login found no IdP session. */
export const SILENT_LOGIN_ERROR = 'bff_error';

/**
 * A top-level redirect, not a hidden iframe. The way back from the IdP is a cross-site redirect, and browsers send
 * `SameSite=Lax` cookies (the BFF's login and session cookies) on a cross-site request only when it is a top-level
 * navigation; inside a frame the IdP's own cookie would also be a third-party cookie (blocked by default in current
 * browsers), and the BFF forbids framing (`frame-ancestors 'none'`). So the page goes to `/auth/login?prompt=none`
 * and comes back either signed in or with `bff_error=<code>` in its query.
 */
export async function silentLogin(options: ResolvedOptions): Promise<boolean> {
  if (removeSilentLoginError()) return (await requestUser(options)).user !== null;
  if ((await requestUser(options)).user !== null) return true;
  options.navigate(loginUrl({ prompt: 'none', returnTo: currentPage() }));
  return leavingPage<boolean>();
}

/** True when this page is the way back from a silent login that failed; the address bar then loses `bff_error`. */
function removeSilentLoginError(): boolean {
  const { pathname, search, hash } = window.location;
  const pairs = search.slice(1).split('&').filter((pair) => pair !== '');
  // The rest of the query stays byte for byte as the app wrote it.
  const kept = pairs.filter((pair) => pair.split('=', 1)[0] !== SILENT_LOGIN_ERROR);
  if (kept.length === pairs.length) return false;
  const query = kept.length > 0 ? `?${kept.join('&')}` : '';
  window.history.replaceState(window.history.state, '', `${pathname}${query}${hash}`);
  return true;
}
