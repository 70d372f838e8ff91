import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { waitFor } from '../../../../test/support/wait-for';
import { SocketRelay } from './socket-relay';

const opened: Socket[] = [];

/** Two ends of one loopback TCP connection. */
async function socketPair(server: Server): Promise<[Socket, Socket]> {
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  const near = connect(address.port, '127.0.0.1');
  await once(near, 'connect');
  const [far] = await accepted;
  for (const socket of [near, far]) {
    socket.on('error', () => undefined);
    opened.push(socket);
  }
  return [near, far];
}

function collect(socket: Socket): { bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { bytes: () => Buffer.concat(chunks) };
}

const binaryFrame = (payload: Buffer, masked: boolean) => {
  const mask = Buffer.from([1, 2, 3, 4]);
  const body = masked ? Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0))) : payload;
  return Buffer.concat([Buffer.from([0x82, (masked ? 0x80 : 0) | payload.length]), masked ? mask : Buffer.alloc(0), body]);
};

function closeOf(bytes: Buffer): { code: number; reason: string } {
  const masked = ((bytes[1] ?? 0) & 0x80) !== 0;
  const length = (bytes[1] ?? 0) & 0x7f;
  const mask = masked ? bytes.subarray(2, 6) : undefined;
  const payload = Buffer.from(bytes.subarray(masked ? 6 : 2, (masked ? 6 : 2) + length).map((byte, i) => (mask ? byte ^ (mask[i % 4] ?? 0) : byte)));
  expect(bytes[0]).toBe(0x88);
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString() };
}

describe('SocketRelay', () => {
  let server: Server;
  beforeAll(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.destroy();
  });
  afterAll(() => server.close());

  async function relayed() {
    const [browser, clientSide] = await socketPair(server);
    const [upstreamSide, service] = await socketPair(server);
    const relay = new SocketRelay(clientSide, upstreamSide, Buffer.alloc(0), Buffer.alloc(0));
    return { browser, service, relay, upstreamSide, atService: collect(service), atBrowser: collect(browser) };
  }

  it('relays bytes both ways untouched', async () => {
    const { browser, service, relay, atService, atBrowser } = await relayed();
    const up = binaryFrame(Buffer.from('to the service'), true);
    const down = binaryFrame(Buffer.from('to the browser'), false);
    browser.write(up);
    service.write(down);
    await waitFor(() => atService.bytes().length >= up.length && atBrowser.bytes().length >= down.length, Boolean, { what: 'both frames relayed' });
    expect(atService.bytes().equals(up)).toBe(true);
    expect(atBrowser.bytes().equals(down)).toBe(true);
    relay.destroy();
  });

  it('closes each side between frames: a frame in flight is completed first, then the close frame with code and reason', async () => {
    const { browser, service, relay, atService, atBrowser } = await relayed();
    const frame = binaryFrame(Buffer.alloc(100, 7), true);
    browser.write(frame.subarray(0, 40));
    // The frame is in flight once its start has gone through the relay.
    await waitFor(() => atService.bytes().length >= 40, Boolean, { what: 'the start of the frame relayed' });

    relay.close(1008, 'session_revoked');
    browser.write(frame.subarray(40));
    browser.write(binaryFrame(Buffer.from('after the close'), true));
    await Promise.all([once(service, 'end'), once(browser, 'end')]);

    const received = atService.bytes();
    expect(received.subarray(0, frame.length).equals(frame)).toBe(true);
    expect(closeOf(received.subarray(frame.length))).toEqual({ code: 1008, reason: 'session_revoked' });
    expect(closeOf(atBrowser.bytes())).toEqual({ code: 1008, reason: 'session_revoked' });
    expect(received.includes(Buffer.from('after the close'))).toBe(false);
    service.destroy();
    browser.destroy();
    await relay.closed;
  });

  it('holds back a fast sender while the other side does not read (backpressure), and loses nothing', async () => {
    const { browser, service, relay, upstreamSide } = await relayed();
    service.pause();
    const chunk = Buffer.alloc(1024 * 1024, 1);
    const chunks = 32;
    for (let i = 0; i < chunks; i += 1) browser.write(chunk);
    // The service's side fills up: the relay's writes to it start to queue.
    await waitFor(() => upstreamSide.writableLength, (queued) => queued > 0, { what: 'the relay to meet backpressure' });
    // The relay stopped reading the browser rather than buffer what the service does not take.
    expect(browser.writableLength).toBeGreaterThan(0);
    expect(upstreamSide.writableLength).toBeLessThan(2 * chunk.length);
    let received = 0;
    service.on('data', (data: Buffer) => (received += data.length));
    service.resume();
    const sent = chunks * chunk.length;
    await waitFor(() => received, (count) => count >= sent, { what: 'every byte to arrive' });
    expect(received).toBe(sent);
    relay.destroy();
  });
});
