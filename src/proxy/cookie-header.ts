/**
 * Removes the named cookies (every copy) from a Cookie header and keeps the rest in order.
 * A name ending in `*` is a prefix (`__Host-bff-login*`). Names are compared trimmed, as lenient parsers would read them.
 * Returns `undefined` when nothing is left, so the caller drops the header.
 */
export function withoutCookies(header: string | readonly string[] | undefined, names: readonly string[]): string | undefined {
  if (header === undefined) return undefined;
  const pairs = (typeof header === 'string' ? [header] : header).flatMap((value) => value.split(';'));
  const kept = pairs.map((pair) => pair.trim()).filter((pair) => pair !== '' && !names.some((name) => isNamed(pair, name)));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

function isNamed(pair: string, pattern: string): boolean {
  const separator = pair.indexOf('=');
  const name = (separator === -1 ? pair : pair.slice(0, separator)).trim();
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}
