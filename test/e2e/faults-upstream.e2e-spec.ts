import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { noteTiming } from '../support/fault-timings';
import { MetricsScrape, delta } from '../support/metrics-scrape';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { waitFor } from '../support/wait-for';

const UPSTREAM_RESPONSES = 'bff_upstream_responses_total';
// The routes file of the proxy stack gives /slow a timeout_ms of 300; /down points at a closed port.
const SLOW_ROUTE_TIMEOUT_MS = 300;
const UPSTREAM_DELAY_MS = 2_500;

interface Outcome {
  /** Undefined when the connection failed before a status line arrived. */
  status: number | undefined;
  body: string | undefined;
  /** The connection was cut: before the status line or in the middle of the body. */
  cut: boolean;
  ms: number;
}

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
}

function connectionsOf(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

describe('upstream faults', () => {
  let stack: ProxyStack;
  let cookie: string;
  let agent: Agent;
  // The echo upstream keeps sleeping after the BFF gave up on it; the last such sleep ends at this time.
  let upstreamBusyUntil = 0;

  beforeAll(async () => {
    stack = await startProxyStack();
    cookie = (await stack.signedIn('alice')).cookieHeader(stack.publicUrl) ?? '';
  });
  beforeEach(() => {
    agent = new Agent();
  });
  afterEach(async () => {
    await agent.destroy();
  });
  afterAll(async () => {
    await sleep(Math.max(upstreamBusyUntil - Date.now(), 0));
    await stack?.stop();
  });

  const scrape = () => MetricsScrape.of(stack.app.adminUrl);

  async function call(path: string): Promise<Outcome> {
    const started = performance.now();
    if (path.startsWith('/slow/')) upstreamBusyUntil = Date.now() + UPSTREAM_DELAY_MS;
    let status: number | undefined;
    try {
      const response = await request(`${stack.publicUrl}${path}`, { dispatcher: agent, headers: { cookie, 'x-csrf': '1' } });
      status = response.statusCode;
      const body = await response.body.text();
      return { status, body, cut: false, ms: performance.now() - started };
    } catch {
      return { status, body: undefined, cut: true, ms: performance.now() - started };
    }
  }

  it('answers a refused upstream with 502 JSON and counts an error', async () => {
    const before = await scrape();

    const outcome = await call('/down/anything');

    expect([outcome.status, JSON.parse(outcome.body ?? '{}')]).toEqual([
      502,
      { error: 'upstream_unreachable', message: expect.any(String) as unknown },
    ]);
    noteTiming('upstream refused: 502', outcome.ms);
    expect(delta(before, await scrape(), UPSTREAM_RESPONSES, { route: '/down', class: 'error' })).toBe(1);
  });

  it('answers an upstream that sends no headers within timeout_ms with 504 JSON and counts a timeout', async () => {
    const before = await scrape();

    const outcome = await call(`/slow/slow-headers?ms=${UPSTREAM_DELAY_MS}`);

    // The upstream would answer 200 after UPSTREAM_DELAY_MS: a 504 is the BFF giving up first.
    expect([outcome.status, JSON.parse(outcome.body ?? '{}')]).toMatchObject([504, { error: 'upstream_timeout' }]);
    expect(outcome.ms).toBeGreaterThanOrEqual(SLOW_ROUTE_TIMEOUT_MS * 0.9);
    noteTiming(`upstream slow headers: 504 (timeout_ms ${SLOW_ROUTE_TIMEOUT_MS})`, outcome.ms);
    expect(delta(before, await scrape(), UPSTREAM_RESPONSES, { route: '/slow', class: 'timeout' })).toBe(1);
  });

  it('cuts the connection when the body stalls past timeout_ms after the headers are out, and counts a timeout', async () => {
    const before = await scrape();

    const outcome = await call(`/slow/slow-body?ms=${UPSTREAM_DELAY_MS}`);

    // The upstream would finish the body after UPSTREAM_DELAY_MS: a cut connection is the BFF giving up first.
    expect(outcome).toMatchObject({ cut: true });
    expect([undefined, 200]).toContain(outcome.status);
    noteTiming(`upstream slow body: connection cut (timeout_ms ${SLOW_ROUTE_TIMEOUT_MS})`, outcome.ms);
    expect(delta(before, await scrape(), UPSTREAM_RESPONSES, { route: '/slow', class: 'timeout' })).toBe(1);
  });

  it('cuts the connection when the upstream resets mid-body, and counts an error', async () => {
    const before = await scrape();

    const outcome = await call('/api/reset');

    expect(outcome).toMatchObject({ status: 200, cut: true });
    expect(delta(before, await scrape(), UPSTREAM_RESPONSES, { route: '/api', class: 'error' })).toBe(1);
  });

  it("passes the upstream's own statuses through unchanged and counts them by class", async () => {
    const before = await scrape();

    const outcomes = await Promise.all(['/api/status/204', '/api/status/302', '/api/status/404', '/api/status/503'].map((path) => call(path)));

    expect(outcomes.map(({ status }) => status)).toEqual([204, 302, 404, 503]);
    expect(JSON.parse(outcomes[3]?.body ?? '{}')).toEqual({ upstream: true, status: 503 });
    const after = await scrape();
    for (const statusClass of ['2xx', '3xx', '4xx', '5xx']) {
      expect([statusClass, delta(before, after, UPSTREAM_RESPONSES, { route: '/api', class: statusClass })]).toEqual([statusClass, 1]);
    }
  });

  it('leaves no socket open after refused, reset, slow-header and slow-body exchanges', async () => {
    const browserServer: Server = stack.app.app.getHttpServer();
    // Warm up the upstream pool and the test's own connections, then let them all go.
    expect((await call('/api/x')).status).toBe(200);
    await agent.close();
    agent = new Agent();
    const socketsBefore = await waitFor(
      () => connectionsOf(browserServer).then((count) => (count === 0 ? tcpSockets() : undefined)),
      undefined,
      { what: 'the test client to let go of the BFF' },
    );

    const paths = ['/down/x', '/api/reset', `/slow/slow-headers?ms=${UPSTREAM_DELAY_MS}`, `/slow/slow-body?ms=${UPSTREAM_DELAY_MS}`];
    const outcomes = await Promise.all(paths.flatMap((path) => Array.from({ length: 5 }, () => call(path))));
    expect(outcomes.filter(({ status }) => status === 502 || status === 504)).toHaveLength(10);
    await agent.close();
    agent = new Agent();

    await waitFor(() => connectionsOf(browserServer), (count) => count === 0, { what: 'the BFF to hold no client connection' });
    // The upstream pool drops broken sockets at once; anything left beyond the baseline would be a leak.
    const socketsAfter = await waitFor(() => tcpSockets(), (count) => count <= socketsBefore, {
      what: `open sockets to fall back to ${socketsBefore}`,
    });
    noteTiming('upstream faults: sockets before 20 faulty calls', socketsBefore, 'sockets');
    noteTiming('upstream faults: sockets after 20 faulty calls', socketsAfter, 'sockets');
  });
});
