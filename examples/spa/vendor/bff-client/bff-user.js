/** The body crossed a trust boundary: check the fields the client itself relies on before calling it a user. */
export function parseUser(body) {
    if (typeof body !== 'object' || body === null)
        throw new TypeError('/auth/user answered something other than an object');
    const { sub, logoutUrl, groups } = body;
    if (typeof sub !== 'string' || typeof logoutUrl !== 'string' || !Array.isArray(groups)) {
        throw new TypeError('/auth/user answered without sub, groups or logoutUrl');
    }
    return body;
}
