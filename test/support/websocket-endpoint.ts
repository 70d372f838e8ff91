import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** RFC 6455 §1.3: the fixed GUID the handshake's accept key is derived with. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WebSocketEndpoint {
  onText(handler: (text: string) => void): void;
  sendText(text: string): void;
  /** A clean close: our close frame, the browser's answer, then the TCP end. */
  close(code: number, reason: string): void;
  /** An abnormal end (the browser sees 1006): the TCP connection just goes. */
  drop(): void;
}

/**
 * The server side of one WebSocket, enough for a test: the handshake, unfragmented text frames, ping and close.
 * Browsers mask what they send (§5.3); a server never masks.
 */
export function acceptWebSocket(request: IncomingMessage, socket: Duplex): WebSocketEndpoint {
  const key = request.headers['sec-websocket-key'] ?? '';
  const accept = createHash('sha1').update(`${key}${HANDSHAKE_GUID}`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const textHandlers: ((text: string) => void)[] = [];
  let closing = false;
  let pending = Buffer.alloc(0);

  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let frame = readFrame(pending); frame; frame = readFrame(pending)) {
      pending = pending.subarray(frame.length);
      if (frame.opcode === OPCODE.text) for (const handler of textHandlers) handler(frame.payload.toString('utf8'));
      if (frame.opcode === OPCODE.ping) socket.write(encodeFrame(OPCODE.pong, frame.payload));
      if (frame.opcode === OPCODE.close) {
        if (!closing) socket.write(encodeFrame(OPCODE.close, frame.payload));
        socket.end();
      }
    }
  });

  return {
    onText: (handler) => textHandlers.push(handler),
    sendText: (text) => socket.write(encodeFrame(OPCODE.text, Buffer.from(text, 'utf8'))),
    close: (code, reason) => {
      closing = true;
      const payload = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason, 'utf8')]);
      socket.write(encodeFrame(OPCODE.close, payload));
    },
    drop: () => socket.destroy(),
  };
}

interface Frame {
  opcode: number;
  payload: Buffer;
  /** Bytes the whole frame took. */
  length: number;
}

function readFrame(buffer: Buffer): Frame | undefined {
  if (buffer.length < 2) return undefined;
  const opcode = buffer[0] & 0x0f;
  const masked = (buffer[1] & 0x80) !== 0;
  let size = buffer[1] & 0x7f;
  let offset = 2;
  if (size === 126) {
    if (buffer.length < 4) return undefined;
    size = buffer.readUInt16BE(2);
    offset = 4;
  } else if (size === 127) {
    if (buffer.length < 10) return undefined;
    size = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const mask = masked ? buffer.subarray(offset, offset + 4) : undefined;
  if (mask) offset += 4;
  if (buffer.length < offset + size) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + size));
  if (mask) for (let index = 0; index < payload.length; index += 1) payload[index] = payload[index] ^ mask[index % 4];
  return { opcode, payload, length: offset + size };
}

function encodeFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 0xffff) throw new RangeError('frames over 64 KiB are beyond this test endpoint');
  const header =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, payload.length])
      : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, payload]);
}
