/**
 * The key a route is chosen by: the normalised (decoded, dot-resolved) path, compared case-insensitively, because
 * Express, ASP.NET, IIS and others route `/ADMIN` as `/admin` — a lookup that told them apart would let a path's
 * spelling fall through to a looser route. Besides ASCII, the only characters that a Unicode case-insensitive
 * matcher (`/…/iu`) folds into ASCII letters are U+017F `ſ` (→ s) and U+212A `K` (→ k): they are folded too.
 */
export function routeKeyOf(decodedPath: string): string {
  const lower = decodedPath.toLowerCase();
  return lower.includes('\u017f') ? lower.replaceAll('\u017f', 's') : lower;
}
