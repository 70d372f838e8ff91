/**
 * Removes the named cookies (every copy) from a Cookie header and keeps the rest in order.
 * `name` is matched exactly; a name in `more` ending in `*` is a prefix (`__Host-bff-login*`). Names are compared
 * trimmed, as lenient parsers would read them. Returns `undefined` when nothing is left, so the caller drops the header.
 * One pass without intermediate arrays: it runs on every proxied request.
 */
export function withoutCookies(header: string | readonly string[] | undefined, name: string, more: readonly string[] = []): string | undefined {
  if (header === undefined) return undefined;
  let kept = '';
  for (const value of typeof header === 'string' ? [header] : header) {
    let start = 0;
    while (start <= value.length) {
      let end = value.indexOf(';', start);
      if (end === -1) end = value.length;
      const pair = value.slice(start, end).trim();
      if (pair !== '' && !isNamed(pair, name, more)) kept = kept === '' ? pair : `${kept}; ${pair}`;
      start = end + 1;
    }
  }
  return kept === '' ? undefined : kept;
}

function isNamed(pair: string, name: string, more: readonly string[]): boolean {
  const separator = pair.indexOf('=');
  const pairName = (separator === -1 ? pair : pair.slice(0, separator)).trim();
  if (pairName === name) return true;
  for (const pattern of more) {
    if (pattern.endsWith('*') ? pairName.startsWith(pattern.slice(0, -1)) : pairName === pattern) return true;
  }
  return false;
}
