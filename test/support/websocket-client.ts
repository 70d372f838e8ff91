import { WebSocket } from 'ws';

export type Connected = { kind: 'open'; socket: WebSocket; closed: Promise<{ code: number; reason: string; at: number }> };
export type Refused = { kind: 'refused'; status: number; headers: Record<string, string | string[] | undefined>; body: unknown };

/**
 * Opens a WebSocket as a browser would (the `ws` client, with the Origin and cookies given), and tells apart an
 * upgrade from a refusal with its HTTP status and JSON body.
 */
export function openWebSocket(url: string, options: { origin?: string; cookie?: string; headers?: Record<string, string> } = {}): Promise<Connected | Refused> {
  const wsUrl = url.replace(/^http/, 'ws');
  const headers = { ...options.headers, ...(options.cookie ? { cookie: options.cookie } : {}) };
  const socket = new WebSocket(wsUrl, { headers, ...(options.origin ? { origin: options.origin } : {}) });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      const closed = new Promise<{ code: number; reason: string; at: number }>((done) =>
        socket.once('close', (code, reason) => done({ code, reason: reason.toString(), at: performance.now() })),
      );
      resolve({ kind: 'open', socket, closed });
    });
    socket.once('unexpected-response', (_request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: kept as text
        }
        resolve({ kind: 'refused', status: response.statusCode ?? 0, headers: response.headers, body });
        socket.terminate();
      });
    });
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}

/** The open socket, or a failure naming the refusal. */
export function opened(result: Connected | Refused): Connected {
  if (result.kind !== 'open') throw new Error(`expected an open WebSocket, got ${result.status} ${JSON.stringify(result.body)}`);
  return result;
}

/** Sends one message and resolves with the next message received. */
export function roundTrip(socket: WebSocket, message: string | Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    socket.once('message', (data: Buffer) => resolve(data));
    socket.send(message);
  });
}
