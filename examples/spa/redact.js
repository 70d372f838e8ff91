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
