import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { watchBodyIdle } from './request-body-idle';

const IDLE_MS = 50;

/** Blocks this process, as a long garbage collection or a starved CPU would: timers fall due, sockets go unread. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else runs
  }
}

describe('watchBodyIdle', () => {
  let server: Server;
  let arrived: Promise<IncomingMessage>;

  beforeEach(async () => {
    let deliver: (request: IncomingMessage) => void = () => undefined;
    arrived = new Promise((resolve) => (deliver = resolve));
    server = createServer((request) => deliver(request));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A chunked upload whose first chunk has been read; `send` hands the next one to the kernel, synchronously. */
  async function upload(): Promise<{ sut: IncomingMessage; send(text: string): void; end(): void }> {
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const send = (text: string) => socket.write(`${text.length.toString(16)}\r\n${text}\r\n`);
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    send('first');
    const sut = await arrived;
    sut.on('data', () => undefined);
    await once(sut, 'data');
    return { sut, send, end: () => socket.destroy() };
  }

  it('calls onIdle when the client sends nothing for the idle time', async () => {
    const { sut, end } = await upload();
    const idle = new Promise<void>((resolve) => watchBodyIdle(sut, resolve, IDLE_MS));
    await idle;
    end();
  });

  it('does not take a stalled process for a silent client: bytes waiting on the socket are read before it decides', async () => {
    const { sut, send, end } = await upload();
    let idle = false;
    const stop = watchBodyIdle(sut, () => (idle = true), IDLE_MS);
    await new Promise((resolve) => setImmediate(resolve));
    // In the same turn: the client's bytes reach the kernel, then this process stalls past the idle time, and reads
    // them only after its timers, now overdue, have run.
    send('second');
    stall(IDLE_MS * 4);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    stop();
    end();
  });
});
