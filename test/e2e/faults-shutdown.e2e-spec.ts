import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBffProcess, type BffProcess } from '../support/bff-process';
import { startEchoUpstream, type EchoBody, type EchoUpstream } from '../support/echo-upstream';
import { noteTiming } from '../support/fault-timings';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { baseEnv } from '../support/test-env';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';
import { waitFor } from '../support/wait-for';

const SLOW_MS = 3_000;

/** Resolves true when a TCP connection to `url`'s port is refused, false when it is accepted. */
function refuses(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('graceful shutdown of node dist/main.js on SIGTERM', () => {
  let database: TestDatabase;
  let upstream: EchoUpstream;
  let routesFile: string;
  const redisPrefix = uniqueRedisPrefix();
  const processes: BffProcess[] = [];
  // The echo upstream keeps sleeping after a request was cut; the last such sleep ends at this time.
  let upstreamBusyUntil = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    upstream = await startEchoUpstream();
    routesFile = join(tmpdir(), `bff-shutdown-routes-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(routesFile, `routes:\n  - path: /public\n    upstream: ${upstream.url}\n    auth: none\n`);
  });
  afterAll(async () => {
    for (const bff of processes) bff.kill();
    await Promise.all(processes.map((bff) => bff.exited));
    await sleep(Math.max(upstreamBusyUntil - Date.now(), 0));
    await upstream?.stop();
    await database?.drop();
    await dropKeysUnder(redisPrefix);
    rmSync(routesFile, { force: true });
  });

  async function start(graceSeconds: number): Promise<BffProcess> {
    const bff = await startBffProcess(
      baseEnv({
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        ROUTES_FILE: routesFile,
        SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
        LOG_LEVEL: 'info',
      }),
    );
    processes.push(bff);
    return bff;
  }

  /** Starts a slow proxied call and resolves once the upstream has it, so that SIGTERM lands mid-request. */
  async function slowCall(bff: BffProcess, ms: number, tag: string) {
    upstreamBusyUntil = Math.max(upstreamBusyUntil, Date.now() + ms);
    let settled = false;
    const response = fetch(`${bff.browserUrl}/public/slow-headers?ms=${ms}&tag=${tag}`).finally(() => {
      settled = true;
    });
    response.catch(() => undefined);
    await waitFor(() => upstream.requests.some((request) => request.url.includes(`tag=${tag}`)) || undefined, undefined, {
      what: 'the upstream to receive the slow call',
    });
    return { response, settled: () => settled };
  }

  it('stops accepting, finishes the in-flight request with 200, then closes its connections and exits 0', async () => {
    const bff = await start(10);
    const inFlight = await slowCall(bff, SLOW_MS, 'finish');
    const signalledAt = performance.now();

    bff.child.kill('SIGTERM');

    await waitFor(() => refuses(bff.browserUrl), (refused) => refused, { what: 'new connections to be refused' });
    noteTiming('shutdown: new connections refused after SIGTERM', performance.now() - signalledAt);
    expect(inFlight.settled()).toBe(false);
    await expect(refuses(bff.adminUrl)).resolves.toBe(true);
    const response = await inFlight.response;
    expect(response.status).toBe(200);
    expect(((await response.json()) as EchoBody).path).toBe('/slow-headers');
    await expect(bff.exited).resolves.toBe(0);
    noteTiming(`shutdown: exit 0 after SIGTERM with a ${SLOW_MS} ms call in flight`, performance.now() - signalledAt);
    const messages = bff.messages();
    const draining = messages.indexOf('no longer accepting connections; draining in-flight requests');
    expect(draining).toBeGreaterThanOrEqual(0);
    expect(messages.indexOf('stopped')).toBeGreaterThan(draining);
    expect(messages).not.toContain('the grace period ended; unfinished requests were cut');
  });

  it('closes idle keep-alive and silent connections at once: only in-flight requests get the grace period', async () => {
    const bff = await start(10);
    const agent = new Agent({ keepAlive: true });
    const answered = await new Promise<number | undefined>((resolve, reject) => {
      get(`${bff.browserUrl}/public/idle`, { agent }, (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode));
      }).once('error', reject);
    });
    expect(answered).toBe(200);
    const silent = connect(Number(new URL(bff.browserUrl).port), '127.0.0.1');
    silent.on('error', () => undefined);
    await new Promise((resolve) => silent.once('connect', resolve));
    const signalledAt = performance.now();

    bff.child.kill('SIGTERM');

    await expect(bff.exited).resolves.toBe(0);
    noteTiming('shutdown: exit 0 after SIGTERM with an idle keep-alive and a silent connection open', performance.now() - signalledAt);
    // Had it waited for those connections, the grace period would have run out and cut them, and said so.
    expect(bff.messages()).toContain('stopped');
    expect(bff.messages()).not.toContain('the grace period ended; unfinished requests were cut');
    agent.destroy();
    silent.destroy();
  });

  it('cuts what is still running when SHUTDOWN_GRACE_SECONDS runs out, and exits 0 without waiting for it', async () => {
    const bff = await start(1);
    const inFlight = await slowCall(bff, 5_000, 'cut');
    const signalledAt = performance.now();

    bff.child.kill('SIGTERM');

    // Cut, not answered: it did not wait for the call (which would have answered 200).
    await expect(inFlight.response).rejects.toThrow();
    await expect(bff.exited).resolves.toBe(0);
    const elapsed = performance.now() - signalledAt;
    noteTiming('shutdown: exit 0 after SIGTERM with grace 1 s and a 5 s call in flight', elapsed);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(bff.messages()).toEqual(expect.arrayContaining(['the grace period ended; unfinished requests were cut', 'stopped']));
  });
});
