import { basename } from 'node:path';

/** The entry page must be revalidated on every visit, or a deploy would leave browsers on old asset names. */
export const INDEX_CACHE_CONTROL = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * A content hash in the name (`app.3f9a1c2b.js`, `index-BX2Q7Z4K.css`) means the bytes never change under that name;
 * such files may be cached for a year. Anything else is revalidated (ETag / Last-Modified) on every use.
 */
const FINGERPRINTED = /[.-](?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export function cacheControlFor(path: string): string {
  const name = basename(path);
  if (name === 'index.html') return INDEX_CACHE_CONTROL;
  return FINGERPRINTED.test(name) ? IMMUTABLE : 'no-cache';
}
