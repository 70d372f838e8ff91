import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { endWithJsonError } from '../common/raw-json-response';

const ANSWERS: Readonly<Record<string, readonly [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'request_header_fields_too_large', 'The request headers are too large.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'payload_too_large', 'The chunk extensions are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request took too long to arrive.'],
  // Methods Node's parser does not know, TRACK among them (refused-methods.ts answers TRACE and CONNECT the same way).
  HPE_INVALID_METHOD: [405, 'method_not_allowed', 'This method is not allowed.'],
};
const BAD_REQUEST = [400, 'bad_request', 'The request is not valid HTTP/1.1.'] as const;

/**
 * Hardens a listener against malformed requests. The parser stays strict whatever NODE_OPTIONS says
 * (`--insecure-http-parser` would let Content-Length with Transfer-Encoding and obs-fold through: request smuggling),
 * and what it refuses is answered in the contract's JSON shape — 431 for headers over Node's size limit, 400 for the
 * rest — before the connection closes.
 */
export function hardenListener(server: Server): void {
  Object.assign(server, { insecureHTTPParser: false });
  server.on('clientError', answerClientError);
}

function answerClientError(error: Error, socket: Duplex): void {
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  // Like Node's own handler: answer only when no response of this connection has started, or the bytes would interleave.
  if (code === 'ECONNRESET' || !socket.writable || responseStarted(socket)) {
    socket.destroy();
    return;
  }
  const [status, name, message] = ANSWERS[code] ?? BAD_REQUEST;
  endWithJsonError(socket, status, { error: name, message });
}

function responseStarted(socket: Duplex): boolean {
  const current: unknown = Reflect.get(socket, '_httpMessage');
  return typeof current === 'object' && current !== null && 'headersSent' in current && current.headersSent === true;
}
