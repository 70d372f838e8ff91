/**
 * `returnTo` must be a path on this site: one leading `/`, not `//` or `/\` (protocol-relative), no scheme, no
 * backslash or control character anywhere (browsers drop tabs and newlines, turning `/\t/evil` into `//evil`).
 */
export function safeReturnTo(value: unknown, publicOrigin: string): string | undefined {
  if (value === undefined) return '/';
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined;
  if (!value.startsWith('/') || value.startsWith('//')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return undefined;
  try {
    const resolved = new URL(value, publicOrigin);
    if (resolved.origin !== publicOrigin) return undefined;
    const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
    // Resolving dot-segments can leave `//host` behind (`/..//evil`, `/%2e%2e//evil`): protocol-relative again.
    return path.startsWith('//') ? undefined : path;
  } catch {
    return undefined;
  }
}
