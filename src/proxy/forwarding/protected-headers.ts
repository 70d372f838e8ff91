/**
 * The one reading of a header name that every header rule uses: lower-cased, with `_` read as `-`, the way CGI-style
 * servers (RFC 3875 §4.1.18: `HTTP_X_CONSUMER_ID`), PHP and most WSGI servers read it. Two names that canonicalise
 * alike are one header to some upstream, so they are one header to the BFF too.
 */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower;
}

// Names the BFF sets or derives itself: a client's copy, in any spelling, never reaches an upstream.
const SET_BY_BFF = new Set(['x-credential-identifier', 'x-anonymous-consumer', 'forwarded', 'x-real-ip', 'x-request-id']);
const SET_BY_BFF_PREFIXES = ['x-consumer-', 'x-authenticated-', 'x-forwarded-'];

/** Whether a canonical name is one of the identity or forwarding headers the BFF sets (UPSTREAM_HEADERS aside). */
export function isSetByBff(canonicalName: string): boolean {
  if (SET_BY_BFF.has(canonicalName)) return true;
  for (const prefix of SET_BY_BFF_PREFIXES) if (canonicalName.startsWith(prefix)) return true;
  return false;
}

/**
 * Headers with `_` in their name are dropped whatever they say (nginx's `underscores_in_headers off`): the names the
 * BFF protects are compared canonically, but an upstream may give meaning to any `_` spelling of a name of its own.
 */
export function hasUnderscore(name: string): boolean {
  return name.includes('_');
}
