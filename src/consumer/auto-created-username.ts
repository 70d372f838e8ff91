import { sha256Base64url } from '../common/sha256';

const MAX_USERNAME_LENGTH = 255;
const SUFFIX_LENGTH = 8;

/**
 * The username an auto-created consumer asks for: `preferred_username`, else `email` — unverified claims the user
 * chose, so they only ever name, never identify (consumers are captured through a username that is someone's id).
 */
export function requestedUsername(claims: Readonly<Record<string, unknown>>): string | null {
  for (const candidate of [claims['preferred_username'], claims['email']]) {
    if (typeof candidate === 'string' && candidate.length > 0 && candidate.length <= MAX_USERNAME_LENGTH) return candidate;
  }
  return null;
}

/**
 * When the requested username is taken, or is another consumer's custom_id: the same name with a suffix derived from
 * the new consumer's own custom_id, so it is stable across retries and tells the two apart.
 */
export function disambiguatedUsername(requested: string, customId: string): string {
  const suffix = sha256Base64url(customId).slice(0, SUFFIX_LENGTH);
  return `${requested.slice(0, MAX_USERNAME_LENGTH - SUFFIX_LENGTH - 1)}#${suffix}`;
}
