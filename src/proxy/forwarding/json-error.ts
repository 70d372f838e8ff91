import type { ServerResponse } from 'node:http';

/**
 * Answers with the contract's error JSON straight on the response: the proxy runs ahead of Express (a raw node:http listener),
 * ahead of Nest's exception filter. Once headers are out, a status can no longer be sent, so the socket is cut instead.
 */
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
  res.writeHead(status, {
    ...extraHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    // Never rendered as anything but JSON, whatever the client asked for.
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
