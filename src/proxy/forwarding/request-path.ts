/** A request path split into segments, safe to match against route prefixes and to forward. */
export interface NormalisedPath {
  /** Segments decoded once, for matching against route prefixes. */
  decoded: string[];
  /** The same segments in canonical percent-encoding, for forwarding. */
  encoded: string[];
  trailingSlash: boolean;
  /** Fewest segments left on the stack after a `..`; a route whose prefix is deeper was climbed out of. */
  lowestDepth: number;
  /** `?…` exactly as received, or `''`. */
  query: string;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// Segments of unreserved characters only, none of them empty, `.` or `..`: already canonical, nothing to decode or
// resolve. Most API paths look like this, and they skip the segment-by-segment work below.
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~]+)*\/?$/;
const MALFORMED_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
// Decoded `/` or `\` would split a segment differently upstream; controls have no business in a path; `;` starts
// path parameters that Tomcat, Jetty and Spring drop before routing (`/admin;x/y` is their `/admin/y`).
// eslint-disable-next-line no-control-regex
const FORBIDDEN_DECODED = /[/\\;\u0000-\u001f\u007f]/;

/**
 * Resolves `.`/`..`, merges repeated slashes and decodes once, so that what is matched is what the upstream sees.
 * Returns `undefined` for anything ambiguous: encoded slashes or backslashes, `;`, controls, bad escapes, `..` above `/`,
 * or `..` leaving a route it was inside (`routeDepth` gives the segment count of the deepest route prefix that matches).
 */
export function normalisePath(rawPath: string, routeDepth: (segments: readonly string[]) => number = () => 0): NormalisedPath | undefined {
  const queryAt = rawPath.indexOf('?');
  const path = queryAt === -1 ? rawPath : rawPath.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rawPath.slice(queryAt);
  if (!path.startsWith('/') || path.includes('\\')) return undefined;
  if (PLAIN_PATH.test(path)) return plainPath(path, query);

  const decoded: string[] = [];
  const encoded: string[] = [];
  let lowestDepth = Number.POSITIVE_INFINITY;
  let trailingSlash = false;
  for (const raw of path.slice(1).split('/')) {
    const canonical = canonicalSegment(raw);
    if (canonical === undefined) return undefined;
    const segment = decodeSegment(canonical);
    if (segment === undefined) return undefined;
    const dots = dotSegment(segment);
    trailingSlash = raw === '' || dots !== undefined;
    if (dots === '..') {
      if (decoded.length === 0 || decoded.length - 1 < routeDepth(decoded)) return undefined;
      decoded.pop();
      encoded.pop();
      lowestDepth = Math.min(lowestDepth, decoded.length);
    } else if (dots === undefined && raw !== '') {
      decoded.push(segment);
      encoded.push(canonical);
    }
  }
  return { decoded, encoded, trailingSlash, lowestDepth, query };
}

function plainPath(path: string, query: string): NormalisedPath {
  const trailingSlash = path.endsWith('/');
  const inner = trailingSlash ? path.slice(1, -1) : path.slice(1);
  const segments = inner === '' ? [] : inner.split('/');
  return { decoded: segments, encoded: segments, trailingSlash, lowestDepth: Number.POSITIVE_INFINITY, query };
}

/**
 * The segment as it is forwarded. A stray `%` is refused rather than escaped; raw bytes (latin1 characters, as Node
 * hands them over) become escapes, so that what is decoded for matching is exactly what the upstream will decode.
 */
function canonicalSegment(raw: string): string | undefined {
  return MALFORMED_ESCAPE.test(raw) ? undefined : canonicalEncoding(raw);
}

/** Decodes a canonical segment once; invalid UTF-8 and forbidden characters → `undefined`. */
function decodeSegment(canonical: string): string | undefined {
  try {
    const segment = decodeURIComponent(canonical);
    return FORBIDDEN_DECODED.test(segment) ? undefined : segment;
  } catch {
    return undefined;
  }
}

function dotSegment(segment: string): '.' | '..' | undefined {
  return segment === '.' || segment === '..' ? segment : undefined;
}

/** Unreserved escapes are decoded, other escapes kept (uppercased), stray characters escaped: RFC 3986 §6.2.2. */
function canonicalEncoding(raw: string): string {
  return raw.replace(/%([0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@]/gu, (match, hex: string | undefined) => {
    if (hex === undefined) return percentEncode(match);
    const value = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(value) ? value : `%${hex.toUpperCase()}`;
  });
}

function percentEncode(char: string): string {
  // Node hands over raw request-target bytes as latin1 characters; anything wider came from code, so UTF-8.
  const bytes = Buffer.from(char, (char.codePointAt(0) ?? 0) < 0x100 ? 'latin1' : 'utf8');
  return [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
