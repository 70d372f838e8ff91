/**
 * Deleting a consumer stops every instance from injecting it within 2 s, bearer callers included. Sessions of the
 * consumer end through the vault (their own invalidation messages); callers known by a bearer token are cached by
 * the proxy, so the deletion is announced on the session-events channel too, and every instance forgets its cached
 * token callers and closes their WebSockets on receipt. While an instance cannot hear the channel, what it caches is
 * trusted for 2 s at most, and its open token sockets' consumers are looked up instead.
 */
export const UNCONFIRMED_CALLER_TTL_MS = 2_000;

const PREFIX = 'consumer-deleted:';

export function consumerDeletedMessage(consumerId: string): string {
  return `${PREFIX}${consumerId}`;
}

/** Session key hashes are base64url: a message with the prefix's `:` can only be a deletion. */
export function isConsumerDeletedMessage(message: string): boolean {
  return message.startsWith(PREFIX);
}

export function deletedConsumerOf(message: string): string {
  return message.slice(PREFIX.length);
}
