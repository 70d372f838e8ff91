import { AppError } from '../../../common/app.error';

export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

/** The 401 for credentials the IdP refused, or that are malformed; Kong's challenge comes with it. */
export function credentialsRejectedError(cause?: unknown): AppError {
  return new AppError(401, 'invalid_client', 'The client credentials were rejected.', {
    headers: { 'www-authenticate': 'Basic realm="bff"' },
    cause,
  });
}

const BASIC_SCHEME = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const MAX_ENCODED_LENGTH = 4096;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 6749 §2.3.1: `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`; undefined when malformed. */
export function parseBasicCredentials(authorizationHeader: string | undefined): BasicCredentials | undefined {
  if (authorizationHeader === undefined || authorizationHeader.length > MAX_ENCODED_LENGTH) return undefined;
  const encoded = BASIC_SCHEME.exec(authorizationHeader)?.[1];
  if (encoded === undefined || encoded.length % 4 === 1) return undefined;
  let decoded: string;
  try {
    decoded = UTF8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined; // not UTF-8
  }
  const separator = decoded.indexOf(':');
  if (separator < 0) return undefined;
  const clientId = formDecode(decoded.slice(0, separator));
  const clientSecret = formDecode(decoded.slice(separator + 1));
  if (!clientId || !clientSecret) return undefined;
  return { clientId, clientSecret };
}

/** application/x-www-form-urlencoded decoding (RFC 6749 Appendix B): `+` is a space. */
function formDecode(value: string): string | undefined {
  try {
    const decoded = decodeURIComponent(value.replaceAll('+', '%20'));
    return CONTROL_CHARACTERS.test(decoded) ? undefined : decoded;
  } catch {
    return undefined; // a malformed percent-escape
  }
}
