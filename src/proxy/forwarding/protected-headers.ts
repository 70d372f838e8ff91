import { IDENTITY_HEADERS } from './identity-headers';

/**
 * The one reading of a header name that every header rule uses: lower-cased, with `_` read as `-`, the way CGI-style
 * servers (RFC 3875 §4.1.18: `HTTP_X_CONSUMER_ID`), PHP and most WSGI servers read it. Two names that canonicalise
 * alike are one header to some upstream, so they are one header to the BFF too.
 */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower;
}

/**
 * Headers that make frameworks re-route or change the method after the BFF chose the route (and so its rules):
 * IIS's URL Rewrite and Symfony's or Zend's request read `X-Original-URL`/`X-Rewrite-URL`; method-override
 * middlewares (Express, Rails, Laravel, ASP.NET) read the other three.
 */
const REROUTING = ['x-original-url', 'x-rewrite-url', 'x-override-url', 'x-http-method-override', 'x-http-method', 'x-method-override'];

// Names a client's copy of never reaches an upstream, in any spelling: the identity and forwarding headers the BFF
// sets or derives itself, the re-routing ones, and a caller's DPoP proof (RFC 9449), which is for the BFF alone.
const PROTECTED = new Set([...IDENTITY_HEADERS, 'forwarded', 'x-real-ip', 'x-request-id', 'dpop', ...REROUTING]);
const PROTECTED_PREFIXES = ['x-consumer-', 'x-authenticated-', 'x-forwarded-'];

/** Whether a canonical name is one a client may never send an upstream, nor a claim fill (UPSTREAM_HEADERS aside). */
export function isProtected(canonicalName: string): boolean {
  if (PROTECTED.has(canonicalName)) return true;
  for (const prefix of PROTECTED_PREFIXES) if (canonicalName.startsWith(prefix)) return true;
  return false;
}

/**
 * Headers with `_` in their name are dropped whatever they say (nginx's `underscores_in_headers off`): the names the
 * BFF protects are compared canonically, but an upstream may give meaning to any `_` spelling of a name of its own.
 */
export function hasUnderscore(name: string): boolean {
  return name.includes('_');
}
