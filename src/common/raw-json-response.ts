import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The contract's JSON error written by hand, where Nest's exception filter cannot: on a raw `node:http` response (the
 * proxy runs ahead of Express), or straight onto a socket that has none (a request the HTTP parser refused, CONNECT, a
 * WebSocket handshake turned down). Never rendered as anything but JSON, never cached.
 */
const JSON_ERROR_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** On a response; once its headers are out a status can no longer be sent, so the socket is cut instead. */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extraHeaders: Readonly<Record<string, string>> = {},
  extraBody: Readonly<Record<string, unknown>> = {},
): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ ...extraBody, error: code, message });
  res.writeHead(status, { ...extraHeaders, ...JSON_ERROR_HEADERS, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** On a socket with no ServerResponse; the connection closes after it. */
export function endWithJsonError(
  socket: Duplex,
  status: number,
  body: Readonly<Record<string, unknown>>,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries({ ...headers, ...JSON_ERROR_HEADERS, 'content-length': String(Buffer.byteLength(text)), connection: 'close' }).map(
      ([name, value]) => `${name}: ${value}`,
    ),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`, () => socket.destroy());
}
