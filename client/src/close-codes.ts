/** RFC 6455 §7.4.1: the BFF closes a socket with 1008 (policy violation) when its session ends. */
export const SESSION_ENDED = 1008;

/**
 * Closes worth a reconnect: the server went away or restarted (1001, 1012), the connection broke or the handshake
 * was refused (1005, 1006), or the server failed or was busy (1011, 1013, 1014). A normal close (1000), the session's
 * end (1008) and protocol errors stay closed: trying again would only repeat them.
 */
const RETRIABLE = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014]);

export function isRetriable(code: number): boolean {
  return RETRIABLE.has(code);
}
