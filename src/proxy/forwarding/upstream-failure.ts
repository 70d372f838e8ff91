export interface UpstreamFailure {
  status: 502 | 504;
  code: 'upstream_unreachable' | 'upstream_timeout';
  message: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export const UPSTREAM_TIMEOUT: UpstreamFailure = {
  status: 504,
  code: 'upstream_timeout',
  message: 'The upstream service did not answer in time.',
};

export const UPSTREAM_UNREACHABLE: UpstreamFailure = {
  status: 502,
  code: 'upstream_unreachable',
  message: 'The upstream service could not be reached.',
};

/** What a client is told when the upstream failed before sending its response headers. */
export function classifyUpstreamFailure(error: unknown): UpstreamFailure {
  return TIMEOUT_CODES.has(errorCode(error)) ? UPSTREAM_TIMEOUT : UPSTREAM_UNREACHABLE;
}

/** A stable identifier to log (`ECONNREFUSED`, `UND_ERR_SOCKET`…); never the message, which may quote the URL. */
export function errorCode(error: unknown): string {
  // Duck-typed, not instanceof: DOMException and errors from other realms are not this realm's Error.
  if (typeof error !== 'object' || error === null) return 'unknown';
  if ('code' in error && typeof error.code === 'string') return error.code;
  if ('name' in error && typeof error.name === 'string') return error.name;
  return 'unknown';
}
