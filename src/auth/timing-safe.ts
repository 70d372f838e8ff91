import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares secrets in constant time whatever their lengths (fixed-size digests are compared, not the inputs). */
export function timingSafeEqualText(actual: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(actual), digest(expected));
}
