import { DEVICE_KEY_ALGORITHMS } from './device-binding.types';

/**
 * The DBSC header fields (W3C webappsec-dbsc §8, as Chrome 145+ names them; the first origin trial's `Sec-Session-*`
 * names are gone). Incoming names are lower-case, as Node delivers them.
 */
export const DBSC_HEADERS = {
  registration: 'Secure-Session-Registration',
  challenge: 'Secure-Session-Challenge',
  response: 'secure-session-response',
  sessionId: 'sec-secure-session-id',
} as const;

const COMPACT_JWS = /^[A-Za-z0-9_-]{2,4096}\.[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,1024}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * `Secure-Session-Registration` (an RFC 9651 list of one inner list): the algorithms the BFF verifies, where to
 * register, and the single-use challenge. Path and challenge are base64url or plain paths, so nothing needs escaping.
 */
export function registrationOffer(path: string, challenge: string): string {
  return `(${DEVICE_KEY_ALGORITHMS.join(' ')});path="${path}";challenge="${challenge}"`;
}

/** `Secure-Session-Challenge`: a string item with the session it is for as the `id` parameter. */
export function challengeHeader(challenge: string, sessionId: string): string {
  return `"${challenge}";id="${sessionId}"`;
}

/** The proof JWT of `Secure-Session-Response`, or `undefined` when there is none that could be one. */
export function proofOf(header: string | string[] | undefined): string | undefined {
  const value = stringItem(header);
  return value !== undefined && COMPACT_JWS.test(value) ? value : undefined;
}

/** The DBSC session id of `Sec-Secure-Session-Id`, or `undefined` when there is none that could be one of ours. */
export function sessionIdOf(header: string | string[] | undefined): string | undefined {
  const value = stringItem(header);
  return value !== undefined && SESSION_ID.test(value) ? value : undefined;
}

/**
 * The draft sends these as RFC 9651 strings (`"…"`, parameters ignored); Chrome sends the bare value. Either is read;
 * a header given twice is not.
 */
function stringItem(header: string | string[] | undefined): string | undefined {
  if (header === undefined || Array.isArray(header)) return undefined;
  const value = header.trim();
  if (!value.startsWith('"')) return value;
  const end = value.indexOf('"', 1);
  // Our values never hold `"` or `\`, so an escape means it is not one of them.
  if (end === -1 || value.slice(1, end).includes('\\')) return undefined;
  const rest = value.slice(end + 1);
  return rest === '' || rest.startsWith(';') ? value.slice(1, end) : undefined;
}
