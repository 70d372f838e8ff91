/**
 * What never reaches a log line, wherever it appears: query strings, form bodies and JSON (logged objects).
 * Credentials, tokens and the single-use values of a login or logout (code, state, sid); what identifies the user
 * before the IdP has (login_hint: often an email address); client assertions (RFC 7523); the tokens of a token
 * exchange (RFC 8693); signed or pushed authorization requests (RFC 9101 `request`, RFC 9126 `request_uri`).
 */
export const SECRET_PARAMETERS = [
  'password', 'client_secret', 'api_key', 'access_token', 'refresh_token', 'id_token', 'code', 'state', 'sid', 'logout_token',
  'session_state', 'id_token_hint', 'token', 'login_hint', 'client_assertion', 'subject_token', 'actor_token', 'request',
  'request_uri',
] as const;

export const CENSOR = '[redacted]';

const SECRET = new Set<string>(SECRET_PARAMETERS);

// Object keys with a credential's name, censored at any of the first three levels of a logged object (pino paths).
// `code` is not among them: in logged objects it is an error code (ECONNREFUSED, invalid_grant); as a parameter it is
// censored in query strings and forms, and in JSON request data logged under `query`, `body` or `form`.
const SECRET_KEYS = [
  ...SECRET_PARAMETERS.filter((name) => name !== 'code'),
  'authorization', 'cookie', 'set-cookie', 'accessToken', 'refreshToken', 'idToken', 'secret', 'clientSecret', 'x-api-key',
  'proxy-authorization', 'apiKey',
];
const REQUEST_DATA = ['query', 'body', 'form'];

export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [accessor('', key).replace(/^\./, ''), accessor('*', key), accessor('*.*', key)]),
  ...REQUEST_DATA.flatMap((container) => SECRET_PARAMETERS.flatMap((key) => [`${container}.${key}`, `*.${container}.${key}`])),
];

/** `a=1&code=x` → `a=1&code=[redacted]`: a form body or query string, secret parameters censored by name. */
export function redactParameters(text: string): string {
  const params = new URLSearchParams(text);
  let changed = false;
  for (const key of new Set(params.keys())) {
    if (SECRET.has(key.toLowerCase())) {
      params.set(key, CENSOR);
      changed = true;
    }
  }
  return changed ? params.toString() : text;
}

/** A request URL with its secret query parameters censored. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart < 0 ? url : `${url.slice(0, queryStart)}?${redactParameters(url.slice(queryStart + 1))}`;
}

function accessor(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}["${key}"]`;
}
