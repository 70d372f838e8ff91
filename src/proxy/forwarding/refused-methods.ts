import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

// TRACE and TRACK echo the request, cookies and all (cross-site tracing); CONNECT would make the BFF a tunnel.
const REFUSED = new Set(['TRACE', 'TRACK', 'CONNECT']);

export function isRefusedMethod(method: string | undefined): boolean {
  return method !== undefined && REFUSED.has(method.toUpperCase());
}

export const METHOD_REFUSED = { status: 405, code: 'method_not_allowed', message: 'This method is not allowed.' } as const;

/** Node hands CONNECT to `connect` listeners, not to the request handler; without one it just drops the socket. */
export function refuseConnect(server: Server): void {
  server.on('connect', (_request: unknown, socket: Duplex) => {
    const body = JSON.stringify({ error: METHOD_REFUSED.code, message: METHOD_REFUSED.message });
    const head = [
      'HTTP/1.1 405 Method Not Allowed',
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-store',
      'X-Content-Type-Options: nosniff',
      'Connection: close',
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
  });
}
