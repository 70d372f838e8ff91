import { authFailureOf } from './auth-failure.js';
import { parseUser } from './bff-user.js';
/** `GET /auth/user`: the user, or why there is none. Anything but `200` or a BFF `401` is an error. */
export async function requestUser(options) {
    const response = await fetch('/auth/user', {
        credentials: 'same-origin',
        headers: { [options.csrfHeader]: '1', accept: 'application/json' },
    });
    if (response.ok)
        return { user: parseUser(await response.json()) };
    const failure = await authFailureOf(response);
    if (failure)
        return { user: null, reason: failure.error };
    throw new Error(`GET /auth/user answered ${response.status}`);
}
