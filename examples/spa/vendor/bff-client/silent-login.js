import { leavingPage } from './client-options.js';
import { currentPage } from './current-page.js';
import { loginUrl } from './login-url.js';
import { requestUser } from './user-request.js';
/** The query parameter the BFF's callback adds to `returnTo` when a `prompt=none` login found no IdP session. */
export const SILENT_LOGIN_ERROR = 'bff_error';
/**
 * A top-level redirect, not a hidden iframe: the session and login cookies are `SameSite=Lax`, which browsers send
 * on top-level navigations only, and the IdP's own cookie would be a third-party cookie in a frame (blocked by
 * default in current browsers). The BFF also forbids framing (`frame-ancestors 'none'`). So the page goes to
 * `/auth/login?prompt=none` and comes back either signed in or with `bff_error=<code>` in its query.
 */
export async function silentLogin(options) {
    const returned = new URL(window.location.href);
    if (returned.searchParams.has(SILENT_LOGIN_ERROR)) {
        returned.searchParams.delete(SILENT_LOGIN_ERROR);
        window.history.replaceState(window.history.state, '', `${returned.pathname}${returned.search}${returned.hash}`);
        return (await requestUser(options)).user !== null;
    }
    if ((await requestUser(options)).user !== null)
        return true;
    options.navigate(loginUrl({ prompt: 'none', returnTo: currentPage() }));
    return leavingPage();
}
