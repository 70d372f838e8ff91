/** Scheme and authority, then a path; no query, no fragment (RFC 9449 §4.2: htu carries neither). */
const HTU = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]+)(\/[^?#]*)?$/;

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/**
 * Whether a proof's `htu` names this request at PUBLIC_URL: scheme and host compared case-insensitively, a default
 * port the same as none (RFC 3986 §6.2.2-6.2.3), the path exactly as the request carried it.
 */
export function htuMatches(htu: unknown, publicOrigin: string, requestPath: string): boolean {
  if (typeof htu !== 'string') return false;
  const parts = HTU.exec(htu);
  if (!parts) return false;
  const [, scheme = '', authority = '', path = '/'] = parts;
  const url = URL.parse(`${scheme}${authority}`);
  return url !== null && isPlainAuthority(authority, url) && url.origin === publicOrigin && path === requestPath;
}

/**
 * The authority is only a host and port, as the parser reads them back: anything it would drop or reread (userinfo,
 * `\` that WHATWG turns into a path, tabs it strips, percent-encoding) leaves part of the htu unchecked.
 */
function isPlainAuthority(authority: string, url: URL): boolean {
  const written = authority.toLowerCase();
  return written === url.host || written === `${url.host}:${DEFAULT_PORTS[url.protocol] ?? ''}`;
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
