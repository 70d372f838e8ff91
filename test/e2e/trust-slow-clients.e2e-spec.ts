import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { waitFor } from '../support/wait-for';

interface Trickled {
  status: number;
  body: string;
  elapsedMs: number;
}

/** A POST whose body arrives one byte every `everyMs` (never, with `everyMs` 0, after the first), until answered. */
function trickleUpload(url: string, path: string, everyMs: number): Promise<Trickled> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nx`);
    });
    const timer = everyMs > 0 ? setInterval(() => socket.write('x'), everyMs) : undefined;
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const finish = (): void => {
      clearInterval(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
      resolve({ status, body: raw.slice(raw.indexOf('\r\n\r\n') + 4), elapsedMs: Date.now() - started });
    };
    socket.on('end', finish);
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

describe('slow clients cannot starve others', () => {
  let stack: LoginStack;
  let upstream: EchoUpstream;
  let routesFile: string;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    routesFile = join(tmpdir(), `bff-slow-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(
      routesFile,
      `routes:
  - { path: /uploads, upstream: "${upstream.url}", auth: none, timeout_ms: 1500 }
  - { path: /budget, upstream: "${upstream.url}", auth: none, max_connections: 2, timeout_ms: 8000 }
  - { path: /idle, upstream: "${upstream.url}", auth: none }
  - { path: /other, upstream: "${upstream.url}", auth: none }
`,
    );
    stack = await startLoginStack({ ROUTES_FILE: routesFile });
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.stop();
    rmSync(routesFile, { force: true });
  });

  it('ends a trickled upload at timeout_ms (504), the body included in the exchange', async () => {
    const result = await trickleUpload(stack.publicUrl, '/uploads/file', 200);
    // A byte every 200 ms of 100,000: only timeout_ms can end this upload.
    expect(result.status).toBe(504);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'upstream_timeout' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(1_400);
  });

  it('keeps a route’s stalled calls within its own connection budget, and other routes answer at once', async () => {
    const arrived = () => upstream.requests.filter((request) => request.url.startsWith('/stalled')).length;
    let settled = 0;
    const stalled = [0, 1, 2].map(() => trickleUpload(stack.publicUrl, '/budget/stalled', 200).finally(() => (settled += 1)));
    // max_connections: 2 — two reach the upstream, the third waits for a connection of its own route's pool.
    await waitFor(arrived, (count) => count === 2, { what: 'two stalled uploads to reach the upstream' });
    const other = await fetch(`${stack.publicUrl}/other/ping`);
    expect(other.status).toBe(200);
    // Answered while all three still stall (they end only at their 8 s timeout_ms): not queued behind them.
    expect(settled).toBe(0);
    expect(arrived()).toBe(2);
    const ends = await Promise.all(stalled);
    expect(ends.map((end) => end.status)).toEqual([504, 504, 504]);
  });

  it('answers 408 to a request body that sends nothing for 10 s, and closes the connection', async () => {
    const result = await trickleUpload(stack.publicUrl, '/idle/file', 0);
    expect(result.status).toBe(408);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'request_timeout' });
    // Silent after its first byte: only the idle limit can end it (timeout_ms is the default 30 s here).
    expect(result.elapsedMs).toBeGreaterThanOrEqual(9_500);
  });
});
