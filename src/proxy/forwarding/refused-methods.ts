import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { endWithJsonError } from '../../common/raw-json-response';

// TRACE and TRACK echo the request, cookies and all (cross-site tracing); CONNECT would make the BFF a tunnel.
const REFUSED = new Set(['TRACE', 'TRACK', 'CONNECT']);

export function isRefusedMethod(method: string | undefined): boolean {
  return method !== undefined && REFUSED.has(method.toUpperCase());
}

export const METHOD_REFUSED = { status: 405, code: 'method_not_allowed', message: 'This method is not allowed.' } as const;

/** Node hands CONNECT to `connect` listeners, not to the request handler; without one it just drops the socket. */
export function refuseConnect(server: Server): void {
  server.on('connect', (_request: unknown, socket: Duplex) => {
    endWithJsonError(socket, METHOD_REFUSED.status, { error: METHOD_REFUSED.code, message: METHOD_REFUSED.message });
  });
}
