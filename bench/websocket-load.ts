import { WebSocket } from 'ws';
import { cpuMicros } from './processes';

export interface WebSocketRun {
  target: string;
  round: number;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the relay's process per message echoed (there and back). */
  cpuUsPerMessage: number;
  errors: number;
}

/**
 * Echo round trips over `connections` WebSockets for `seconds`: each socket sends a 64-byte message, waits for its
 * echo, sends the next. Messages/s counts echoes received; latency is the round trip as the client sees it.
 */
export async function websocketRoundTrips(
  subject: { name: string; pid: number; url: string; headers: Record<string, string> },
  connections: number,
  seconds: number,
  round: number,
): Promise<WebSocketRun> {
  const payload = Buffer.alloc(64, 0x61);
  const sockets = await Promise.all(
    Array.from({ length: connections }, () =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(subject.url, { headers: subject.headers, perMessageDeflate: false });
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
        socket.once('unexpected-response', (_request, response) => reject(new Error(`${subject.name}: upgrade answered ${response.statusCode}`)));
      }),
    ),
  );
  const latencies: number[] = [];
  let errors = 0;
  const cpuBefore = cpuMicros(subject.pid);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          let sentAt = 0;
          let done = false;
          const send = () => {
            sentAt = performance.now();
            socket.send(payload);
          };
          socket.on('message', () => {
            const now = performance.now();
            latencies.push(now - sentAt);
            if (now < deadline) send();
            else {
              done = true;
              resolve();
            }
          });
          socket.once('close', () => {
            if (!done) errors += 1;
            resolve();
          });
          send();
        }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpuUs = cpuMicros(subject.pid) - cpuBefore;
  for (const socket of sockets) socket.terminate();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    target: subject.name,
    round,
    messagesPerSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpuUsPerMessage: cpuUs / Math.max(latencies.length, 1),
    errors,
  };
}
