import { createBffFetch } from './bff-fetch.js';
import { leavingPage, resolveOptions } from './client-options.js';
import { loginUrl } from './login-url.js';
import { openSessionSocket } from './session-socket.js';
import { silentLogin } from './silent-login.js';
import { requestUser } from './user-request.js';
export function createBffClient(clientOptions = {}) {
    const options = resolveOptions(clientOptions);
    return {
        fetch: createBffFetch(options),
        user: async () => (await requestUser(options)).user,
        userOrReason: () => requestUser(options),
        loginUrl,
        login: (login) => options.navigate(loginUrl(login)),
        silentLogin: () => silentLogin(options),
        logout: async () => {
            const { user } = await requestUser(options);
            // Without a session there is nothing to end here; the BFF sends the browser to POST_LOGOUT_REDIRECT_URI.
            options.navigate(user?.logoutUrl ?? '/auth/logout');
            return leavingPage();
        },
        websocket: (path, socket = {}) => openSessionSocket(path, socket, options),
    };
}
