/** Scheme and authority, then a path; no query, no fragment (RFC 9449 §4.2: htu carries neither). */
const HTU = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+)(\/[^?#]*)?$/;

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/;

/**
 * Whether a proof's `htu` names this request at PUBLIC_URL: scheme and host compared case-insensitively, a default
 * port the same as none (RFC 3986 §6.2.2-6.2.3), the path exactly as the request carried it.
 */
export function htuMatches(htu: unknown, publicOrigin: string, requestPath: string): boolean {
  if (typeof htu !== 'string') return false;
  const parts = HTU.exec(htu);
  if (!parts) return false;
  const [, authority = '', path = '/'] = parts;
  const url = URL.parse(authority);
  if (!url || url.username !== '' || url.password !== '') return false;
  return url.origin === publicOrigin && path === requestPath;
}

/** The path of a request target as received, without its query. */
export function requestPathOf(target: string | undefined): string {
  if (target === undefined || target === '') return '/';
  if (target.startsWith('/')) {
    const query = target.indexOf('?');
    return query === -1 ? target : target.slice(0, query);
  }
  // Absolute-form (RFC 9112 §3.2.2), as some clients send through proxies: its path as written, too.
  return ABSOLUTE_FORM.exec(target)?.[1] ?? '/';
}
