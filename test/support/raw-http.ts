import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 response as read off the wire, and whether the server closed the connection after it. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Every status line the server wrote on this connection (a smuggled second request would add one). */
  statusLines: string[];
  closedByServer: boolean;
}

/**
 * Writes bytes as given — no client library to tidy up a malformed request — and reads until the server closes the
 * connection. A complete response whose server keeps the connection (no `Connection: close`) ends the read once no
 * more data comes for `idleMs`, which only gives a smuggled second response the chance to show; a response that
 * announces the close is read until the close itself, however long a loaded machine takes. For request-smuggling and
 * parser-limit tests.
 */
export function sendRaw(url: string, request: string | Buffer, idleMs = 1000): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve({ ...parse(Buffer.concat(chunks).toString('latin1')), closedByServer });
      } catch (error: unknown) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(timer);
      if (completeAndKeptOpen(Buffer.concat(chunks).toString('latin1'))) timer = setTimeout(finish, idleMs);
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', () => {
      closedByServer = true;
      finish();
    });
  });
}

/** The last response on the wire is whole (head, and its body by Content-Length) and does not announce a close. */
function completeAndKeptOpen(raw: string): boolean {
  const start = raw.lastIndexOf('HTTP/1.');
  const response = start === -1 ? '' : raw.slice(start);
  const headEnd = response.indexOf('\r\n\r\n');
  if (headEnd === -1) return false;
  const head = response.slice(0, headEnd).toLowerCase();
  if (/\r\nconnection:\s*close/.test(head)) return false;
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head)?.[1];
  return length !== undefined && Buffer.byteLength(response.slice(headEnd + 4), 'latin1') >= Number(length);
}

export interface StreamedUpload {
  response: RawResponse;
  /** Body bytes the server let us write before it answered and closed. */
  bytesSent: number;
}

/**
 * Sends `head` and then streams a body of up to `totalBytes` in chunks, stopping as soon as the server answers:
 * shows whether an oversized body is refused early or read to the end. Once the answer is whole, the result comes
 * when the server closes the connection (when it announced `Connection: close`) or at once (when it did not).
 */
export function streamUpload(url: string, head: string, totalBytes: number, chunkBytes = 64 * 1024): Promise<StreamedUpload> {
  const { hostname, port } = new URL(url);
  const chunk = Buffer.alloc(chunkBytes, 'a');
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let bytesSent = 0;
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ response: { ...parse(Buffer.concat(received).toString('latin1')), closedByServer }, bytesSent });
    };
    const pump = (): void => {
      while (!done && bytesSent < totalBytes && received.length === 0) {
        const piece = chunk.subarray(0, Math.min(chunkBytes, totalBytes - bytesSent));
        bytesSent += piece.length;
        if (!socket.write(head.includes('chunked') ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (!done && bytesSent >= totalBytes && head.includes('chunked')) socket.write('0\r\n\r\n');
    };
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
    socket.on('data', (data: Buffer) => {
      received.push(data);
      if (completeAndKeptOpen(Buffer.concat(received).toString('latin1'))) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

function parse(raw: string): Omit<RawResponse, 'closedByServer'> {
  const statusLines = raw.match(/^HTTP\/1\.[01] \d{3}[^\r\n]*/gm) ?? [];
  const headEnd = raw.indexOf('\r\n\r\n');
  if (statusLines.length === 0 || headEnd === -1) return { status: 0, headers: {}, body: '', statusLines };
  const [statusLine = '', ...lines] = raw.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? Number.NaN);
  const rest = raw.slice(headEnd + 4);
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: Number.isNaN(length) ? rest : rest.slice(0, length),
    statusLines,
  };
}
