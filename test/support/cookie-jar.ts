interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** Epoch ms; undefined for a session cookie. */
  expiresAt: number | undefined;
  /** The Set-Cookie header that stored it, for flag assertions. */
  raw: string;
}

/**
 * Host-only cookies keyed by hostname: like real browsers, the port is ignored, so the BFF and the dev IdP
 * on 127.0.0.1 share one jar (their cookie names must not collide). Domain, Secure and SameSite are not
 * enforced: every test runs on loopback, which browsers treat as a secure, same-site context.
 */
export class CookieJar {
  private readonly byHost = new Map<string, StoredCookie[]>();

  store(url: URL, setCookieHeaders: readonly string[]): void {
    const cookies = this.byHost.get(url.hostname) ?? [];
    for (const header of setCookieHeaders) {
      const parsed = parseSetCookie(header, url);
      if (!parsed) continue;
      const kept = cookies.filter((c) => !(c.name === parsed.name && c.path === parsed.path));
      if (parsed.expiresAt === undefined || parsed.expiresAt > Date.now()) kept.push(parsed);
      cookies.splice(0, cookies.length, ...kept);
    }
    this.byHost.set(url.hostname, cookies);
  }

  /** The Cookie header a browser would send to this URL, most specific path first. */
  header(url: URL): string | undefined {
    const now = Date.now();
    const matching = (this.byHost.get(url.hostname) ?? [])
      .filter((c) => (c.expiresAt === undefined || c.expiresAt > now) && pathMatches(c.path, url.pathname))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  /** Name → value of the host's live cookies (for duplicates, the most specific path wins). */
  cookies(hostOrUrl: string): Record<string, string> {
    return Object.fromEntries(this.live(hostOrUrl).map((c) => [c.name, c.value]));
  }

  /** The Set-Cookie headers behind the host's live cookies, e.g. to check HttpOnly or SameSite. */
  raw(hostOrUrl: string): string[] {
    return this.live(hostOrUrl).map((c) => c.raw);
  }

  clear(): void {
    this.byHost.clear();
  }

  private live(hostOrUrl: string): StoredCookie[] {
    const host = hostOrUrl.includes('://') ? new URL(hostOrUrl).hostname : hostOrUrl.replace(/:\d+$/, '');
    const now = Date.now();
    return (this.byHost.get(host) ?? [])
      .filter((c) => c.expiresAt === undefined || c.expiresAt > now)
      .sort((a, b) => a.path.length - b.path.length);
  }
}

function parseSetCookie(header: string, url: URL): StoredCookie | undefined {
  const [pair = '', ...attributes] = header.split(';');
  const separator = pair.indexOf('=');
  if (separator <= 0) return undefined;
  const cookie: StoredCookie = {
    name: pair.slice(0, separator).trim(),
    value: pair.slice(separator + 1).trim(),
    path: defaultPath(url.pathname),
    expiresAt: undefined,
    raw: header,
  };
  let maxAge: number | undefined;
  for (const attribute of attributes) {
    const [rawKey = '', ...rest] = attribute.split('=');
    const key = rawKey.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (key === 'path' && value.startsWith('/')) cookie.path = value;
    if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
    if (key === 'expires' && !Number.isNaN(Date.parse(value))) cookie.expiresAt ??= Date.parse(value);
  }
  // RFC 6265 §5.3: Max-Age wins over Expires; zero or negative means "delete now".
  if (maxAge !== undefined) cookie.expiresAt = maxAge <= 0 ? 0 : Date.now() + maxAge * 1000;
  return cookie;
}

/** RFC 6265 §5.1.4 default-path. */
function defaultPath(requestPath: string): string {
  const lastSlash = requestPath.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : requestPath.slice(0, lastSlash);
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}
