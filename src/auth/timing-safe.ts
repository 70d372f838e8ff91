import { timingSafeEqual } from 'node:crypto';
import { sha256Bytes } from '../common/sha256';

/** Compares secrets in constant time whatever their lengths (fixed-size digests are compared, not the inputs). */
export function timingSafeEqualText(actual: string, expected: string): boolean {
  return timingSafeEqual(sha256Bytes(actual), sha256Bytes(expected));
}
