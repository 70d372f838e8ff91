// Talks to the BFF on the same origin. The session cookie is HttpOnly and goes along by itself; every call carries
// the CSRF header the BFF requires. No token ever reaches this code.
const CSRF = { 'X-CSRF': '1' };

/** The signed-in user, or null when the BFF answers 401 (no session, expired, revoked). */
export async function fetchUser() {
  const response = await fetch('/auth/user', { headers: CSRF, credentials: 'same-origin' });
  if (response.status === 401) return { user: null, reason: await errorCode(response) };
  if (!response.ok) throw new Error(`GET /auth/user answered ${response.status}`);
  return { user: await response.json(), reason: null };
}

/** A call through the BFF's proxy: the upstream gets the bearer token and identity headers, we get its answer. */
export async function callApi(path) {
  const response = await fetch(path, { headers: { ...CSRF, Accept: 'application/json' }, credentials: 'same-origin' });
  const body = await response.json().catch(() => null);
  return { status: response.status, body };
}

export function loginHref(returnTo) {
  return `/auth/login?returnTo=${encodeURIComponent(returnTo)}`;
}

/**
 * Whatever an upstream echoes, a bearer token is shown as its first characters and length only, e.g.
 * `Bearer eyJhbGciOi… (redacted, 812 chars)`. The demo API sends just that summary; this also covers an upstream
 * that echoes its request headers verbatim.
 */
export function redactAuthorization(value) {
  if (!value) return 'none';
  if (typeof value === 'object') return `${value.scheme} ${value.prefix}… (redacted, ${value.length} chars)`;
  const [scheme, token = ''] = String(value).split(' ');
  return `${scheme} ${token.slice(0, Math.min(10, token.length >> 2))}… (redacted, ${token.length} chars)`;
}

async function errorCode(response) {
  const body = await response.json().catch(() => null);
  return body && typeof body.error === 'string' ? body.error : 'not_authenticated';
}
