import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startDevIdp } from '../dev/idp/dev-idp';
import { freePort } from '../test/support/free-port';
import { benchRedisPrefix, createBenchDatabase, dropKeysUnder, readVault, REDIS_URL, seedSessions, vaultFootprint } from './fixtures';
import { loginRate, refreshStorms, SESSION_COOKIE, signIn } from './flows';
import { loadGenerator, type LoadGenerator } from './load';
import { measure, summarise, type Measurement, type Subject } from './measure';
import { parseOptions, USAGE, type BenchOptions } from './options';
import { killAllNow, memory, stopAll } from './processes';
import { renderMarkdown, type Report } from './report';
import { websocketRoundTrips, type WebSocketRun } from './websocket-load';
import { REPO_ROOT, startBff, startHelper, startIdpProcess, type BffTarget } from './targets';
import { limitedBff, startOtlpSink, tracedBff } from './variants';
import { exchangeRoute, exchangeScenario, exchangeSubject } from './token-exchange-scenario';
import { boundSessionScenario } from './bound-session';

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
// Issue 16's targets against the bare proxy in the same run: cookie sessions and bearer JWTs alike.
const ISSUE_16_GOAL = { rps: 0.85, cpu: 1.3, p99: 1.5 };
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghijklmnop';
// Browser-like request headers, sent to every target alike.
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  accept: 'application/json',
  'accept-language': 'en-US,en;q=0.9',
};

/** Steps to undo, last first, on success, failure or Ctrl-C alike. */
const cleanups: (() => Promise<unknown>)[] = [];

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const generator = loadGenerator(options.loader);
  const startedAt = new Date().toISOString();
  const stamp = startedAt.replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const runs: Measurement[] = [];
  const report: Report = {
    startedAt,
    machine: { cpus: availableParallelism(), node: process.version, loader: generator.name, connections: options.connections, duration: options.duration, rounds: options.rounds },
    scenarios: [],
  };

  const redis = new Redis(REDIS_URL);
  cleanups.push(() => redis.quit());
  const prefix = benchRedisPrefix();
  cleanups.push(() => dropKeysUnder(redis, prefix));
  const database = await createBenchDatabase();
  cleanups.push(() => database.drop());
  log(`database ${new URL(database.url).pathname.slice(1)}, Redis prefix ${prefix}, load generator ${generator.name}`);

  const upstream = await startHelper('upstream', 'fast-upstream.js');
  const bare = await startHelper('bare proxy', 'bare-proxy.js', [upstream.url]);
  const wsUpstream = await startHelper('WebSocket echo upstream', 'ws-echo-upstream.js');
  const bareWs = await startHelper('bare WebSocket relay', 'bare-ws-relay.js', [wsUpstream.url]);
  cleanups.push(() => stopAll());

  const ports = { bff: await freePort(), admin: await freePort(), workers: await freePort(), workersAdmin: await freePort() };
  const publicUrl = `http://127.0.0.1:${ports.bff}`;
  const workersUrl = `http://127.0.0.1:${ports.workers}`;
  const idp = await startDevIdp({
    accessTokenTtlSeconds: 3600,
    redirectUris: [`${publicUrl}/auth/callback`, `${workersUrl}/auth/callback`],
    postLogoutRedirectUris: [`${publicUrl}/`],
  });
  cleanups.push(() => idp.stop());
  const encryptionKey = randomBytes(32);
  const routesFile = join(RESULTS_DIR, `routes-${stamp}.yaml`);
  writeFileSync(
    routesFile,
    `routes:\n  - path: /machines\n    upstream: ${upstream.url}\n    auth: bearer\n  - path: /public\n    upstream: ${upstream.url}\n    auth: none\n` +
      `  - path: /live\n    upstream: ${wsUpstream.url}\n    auth: session\n${exchangeRoute(upstream.url)}`,
  );
  cleanups.push(() => Promise.resolve(rmSync(routesFile, { force: true })));
  const logFiles: string[] = [];
  cleanups.push(() => {
    if (!options.keepLogs) for (const file of logFiles) rmSync(file, { force: true });
    return Promise.resolve();
  });
  const bffEnv = (port: number, adminPort: number, extra: Record<string, string> = {}): Record<string, string> => ({
    NODE_ENV: 'production',
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    HOST: '127.0.0.1',
    ADMIN_TOKEN,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    DATABASE_URL: database.url,
    TOKEN_ENCRYPTION_KEYS: encryptionKey.toString('base64'),
    CONSUMER_OPTIONAL: 'true',
    UPSTREAM_URL: upstream.url,
    ROUTES_FILE: routesFile,
    LOG_LEVEL: options.logLevel,
    // Scenario 5 measures logins, not the per-IP login limit (every bench login comes from 127.0.0.1).
    RATE_LIMIT_LOGIN: 'off',
    ...extra,
  });
  const launch = (name: string, env: Record<string, string>, nodeArgs: string[] = [], cgroupProcs?: string): Promise<BffTarget> => {
    const logFile = join(RESULTS_DIR, `${name}-${stamp}.log`);
    logFiles.push(logFile);
    return startBff({ name, env, logFile, nodeArgs: [...options.bffNodeArgs, ...nodeArgs], cgroupProcs });
  };
  const profileDir = join(RESULTS_DIR, `profiles-${stamp}`);
  const bff = await launch('bff', bffEnv(ports.bff, ports.admin), options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  const workers = options.workers > 0 ? await launch(`bff-workers${options.workers}`, bffEnv(ports.workers, ports.workersAdmin, { WORKERS: String(options.workers) })) : undefined;
  log(`BFF pid ${bff.pid} on ${bff.url}${workers ? `, WORKERS=${options.workers} pid ${workers.pid} on ${workers.url}` : ''}`);

  const sessionId = await signIn(publicUrl, 'alice');
  const machineToken = (await idp.issueClientCredentialsToken()).access_token;
  const session = { ...BROWSER_HEADERS, cookie: `${SESSION_COOKIE}=${sessionId}`, 'x-csrf': '1' };
  const subjects = {
    bare: { name: 'bare proxy', pid: bare.pid, load: { url: `${bare.url}/orders/42?expand=items`, headers: session } },
    s1: { name: 'bff session', pid: bff.pid, load: { url: `${bff.url}/api/orders/42?expand=items`, headers: session } },
    s4: { name: 'bff bearer', pid: bff.pid, load: { url: `${bff.url}/machines/orders/42?expand=items`, headers: { ...BROWSER_HEADERS, authorization: `Bearer ${machineToken}` } } },
    s0: { name: 'bff no auth', pid: bff.pid, load: { url: `${bff.url}/public/orders/42?expand=items`, headers: session } },
    s1w: workers ? { name: `bff session ×${options.workers} workers`, pid: workers.pid, load: { url: `${workers.url}/api/orders/42?expand=items`, headers: session } } : undefined,
  } satisfies Record<string, Subject | undefined>;
  const exchanged = options.only.has('x') ? exchangeSubject(subjects.s1) : undefined;
  const sink = options.only.has('t') ? await startOtlpSink() : undefined;
  if (sink) cleanups.push(() => sink.close());
  const traced = sink ? await tracedBff(launch, bffEnv, sink, subjects.s1.load) : undefined;
  const sampled = sink ? await tracedBff(launch, bffEnv, sink, subjects.s1.load, 0.1) : undefined;
  const limited = options.only.has('m') && options.memoryLimitMib > 0 ? await limitedBff(launch, bffEnv, options.memoryLimitMib, subjects.s1.load) : undefined;
  if (limited?.limit) cleanups.push(() => Promise.resolve(limited.target.stop().then(() => limited.limit?.remove())));
  for (const subject of [subjects.bare, subjects.s0, subjects.s1, subjects.s4, subjects.s1w, traced?.subject, sampled?.subject, limited?.subject, exchanged]) if (subject) await expectOk(subject);
  if (options.hold) return hold([subjects.bare, subjects.s0, subjects.s1, subjects.s4, ...(subjects.s1w ? [subjects.s1w] : [])]);

  const phase1 = [subjects.bare, ...(options.only.has('0') ? [subjects.s0] : []), ...(options.only.has('1') || traced || limited || exchanged ? [subjects.s1] : []), ...(exchanged ? [exchanged] : []), ...(options.only.has('4') ? [subjects.s4] : []), ...(options.only.has('1') && subjects.s1w ? [subjects.s1w] : []), ...(traced ? [traced.subject] : []), ...(sampled ? [sampled.subject] : []), ...(limited ? [limited.subject] : [])];
  if (phase1.length > 1) {
    log(`warming up ${phase1.map((s) => s.name).join(', ')}`);
    idp.resetCounters();
    for (const subject of phase1) await generator.run({ ...subject.load, connections: options.connections, seconds: 2 });
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const subject of phase1) runs.push(await progress(measure(generator, subject, options.connections, options.duration, round)));
    }
    const base = subjects.bare.name;
    report.scenarios.push({ label: 'bare proxy (baseline)', summary: summarise(runs, base) });
    if (options.only.has('0')) report.scenarios.push({ label: '0 no auth (route `auth: none`)', summary: summarise(runs, subjects.s0.name, base) });
    if (options.only.has('1') || exchanged) report.scenarios.push({ label: '1 session cookie + CSRF', summary: summarise(runs, subjects.s1.name, base), goal: ISSUE_16_GOAL });
    if (options.only.has('4')) report.scenarios.push({ label: '4 bearer JWT (machine)', summary: summarise(runs, subjects.s4.name, base), goal: ISSUE_16_GOAL });
    if (subjects.s1w && options.only.has('1')) report.scenarios.push({ label: `1 with WORKERS=${options.workers}`, summary: summarise(runs, subjects.s1w.name, base) });
    if (traced) report.scenarios.push({ label: '1 with span export on (OTLP/HTTP)', summary: summarise(runs, traced.subject.name, base) });
    if (limited) report.scenarios.push({ label: `1 inside a ${options.memoryLimitMib} MiB memory limit${limited.limit ? ' (cgroup)' : ' (--max-old-space-size)'}`, summary: summarise(runs, limited.subject.name, base), goal: { rps: 0.75 } });
    if (sampled) report.scenarios.push({ label: '1 with span export on, 10 % of traces sampled', summary: summarise(runs, sampled.subject.name, base) });
    if (exchanged) report.scenarios.push(exchangeScenario(runs, exchanged, subjects.s1, base, idp.counters.tokenRequests));
    if (traced && sampled) {
      const cost = (subject: Subject) => 1 - (summarise(runs, subject.name, subjects.s1.name).vsBaseline?.rps ?? Number.NaN);
      report.tracing = { costRps: cost(traced.subject), sampledCostRps: cost(sampled.subject), exports: sink!.exports, bytes: sink!.bytes };
    }
    if (limited) report.memoryLimit = { mib: options.memoryLimitMib, alive: limited.target.process.exitCode === null && limited.target.process.signalCode === null, ...(limited.limit?.usage() ?? {}) };
  }

  const footprint = await vaultFootprint(redis, prefix, sessionId, encryptionKey);
  report.memory = { footprint };
  if (options.only.has('2') && options.sessions > 0) {
    log(`seeding ${options.sessions} sessions`);
    report.memory.seed = await seedSessions(redis, prefix, options.sessions, footprint);
    const s2: Subject = { ...subjects.s1, name: `bff session + ${options.sessions} sessions` };
    const bare2: Subject = { ...subjects.bare, name: 'bare proxy (scenario 2 rounds)' };
    for (let round = 1; round <= Math.max(1, options.rounds - 1); round += 1) {
      for (const subject of [bare2, s2]) runs.push(await progress(measure(generator, subject, options.connections, options.duration, 100 + round)));
    }
    report.scenarios.push({ label: `2 = 1 with ${options.sessions} other sessions`, summary: summarise(runs, s2.name, bare2.name), goal: { rps: 0.6, cpu: 1.6, p99: 2 } });
  }

  if (options.only.has('rss')) {
    const high = [];
    for (const subject of [subjects.bare, subjects.s1]) {
      const run = await progress(measure(generator, { ...subject, name: `${subject.name} @${options.highConnections}` }, options.highConnections, options.duration, 200));
      runs.push(run);
      high.push(summarise([run], run.target));
    }
    report.highConcurrency = { connections: options.highConnections, summaries: high, bffPeakRss: memory(bff.pid).peak, barePeakRss: memory(bare.pid).peak };
  }

  if (options.only.has('ws')) {
    log('WebSocket echo round trips');
    const wsSession = { cookie: `${SESSION_COOKIE}=${sessionId}`, origin: publicUrl };
    const wsSubjects = [
      { name: 'bare WebSocket relay', pid: bareWs.pid, url: `${bareWs.url.replace('http', 'ws')}/feed`, headers: wsSession },
      { name: 'bff WebSocket (session)', pid: bff.pid, url: `${bff.url.replace('http', 'ws')}/live/feed`, headers: wsSession },
    ];
    const wsRuns: WebSocketRun[] = [];
    for (const subject of wsSubjects) await websocketRoundTrips(subject, options.connections, 2, 0);
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const subject of wsSubjects) {
        const run = await websocketRoundTrips(subject, options.connections, options.duration, round);
        log(`${run.target.padEnd(34)} r${run.round} ${run.messagesPerSecond.toFixed(0).padStart(6)} msg/s  p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  ${run.cpuUsPerMessage.toFixed(0)} µs CPU/msg`);
        wsRuns.push(run);
      }
    }
    report.websocket = { connections: options.connections, runs: wsRuns };
  }

  if (options.only.has('b')) {
    log('scenario 1 with a device-bound session (DBSC)');
    const bound = await boundSessionScenario({ options, generator, bffEnv, launch, bare: subjects.bare, headers: BROWSER_HEADERS, progress });
    runs.push(...bound.runs);
    report.scenarios.push(...bound.scenarios);
  }
  if (options.only.has('3')) report.storm = await stormScenario(options, generator, { redis, prefix, encryptionKey }, { url: bare.url, path: '/orders/42' }, bffEnv, launch);
  if (options.only.has('5') && options.loginSeconds > 0) {
    log('full logins');
    report.logins = await loginRate(publicUrl, bff.pid, options.loginSeconds, 4);
  }
  if (options.soak > 0) {
    log(`soak ${options.soak} s`);
    const windows: { rps: number; rss: number }[] = [];
    for (let window = 0; window < Math.ceil(options.soak / 10); window += 1) {
      const run = await measure(generator, { ...subjects.s1, name: 'soak' }, options.connections, 10, 300 + window);
      runs.push(run);
      windows.push({ rps: run.rps, rss: memory(bff.pid).rss });
    }
    report.soak = { seconds: options.soak, windows };
  }

  const markdown = renderMarkdown(report);
  const resultFile = join(RESULTS_DIR, `bench-${stamp}.json`);
  writeFileSync(resultFile, `${JSON.stringify({ ...report, options: { ...options, only: [...options.only] }, runs, markdown }, null, 2)}\n`);
  process.stdout.write(`\n${markdown}\n\n`);
  log(`results: ${resultFile}${options.cpuProf ? `; CPU profiles: ${profileDir} (after the BFF exits)` : ''}`);
}

async function stormScenario(
  options: BenchOptions,
  generator: LoadGenerator,
  vault: { redis: Redis; prefix: string; encryptionKey: Buffer },
  bare: { url: string; path: string },
  bffEnv: (port: number, adminPort: number, extra?: Record<string, string>) => Record<string, string>,
  launch: (name: string, env: Record<string, string>) => Promise<BffTarget>,
): Promise<NonNullable<Report['storm']>> {
  // A BFF and IdP of their own: a 20 s access token due 15 s before expiry, so a token is due 5 s after it was issued.
  const ttl = 20;
  const skew = 15;
  const port = await freePort();
  const idp = await startIdpProcess({ accessTokenTtlSeconds: ttl, tokenDelayMs: options.idpDelayMs, redirectUris: [`http://127.0.0.1:${port}/auth/callback`] });
  const { redis, prefix, encryptionKey } = vault;
  const bff = await launch('bff-storm', { ...bffEnv(port, await freePort()), OIDC_ISSUER: idp.issuer, TOKEN_REFRESH_SKEW: String(skew) });
  log(`refresh storms (${options.storms} × ${options.stormConcurrency} requests)`);
  try {
    const result = await refreshStorms({
      bffUrl: bff.url,
      bffPid: bff.pid,
      idp,
      dueAfterSeconds: ttl - skew,
      concurrency: options.stormConcurrency,
      storms: options.storms,
      bare,
      refreshTokenOf: async (sessionId) => {
        const { contents } = await readVault(redis, prefix, sessionId, encryptionKey);
        if (!contents.refreshToken) throw new Error('the dev IdP issued no refresh token');
        return contents.refreshToken;
      },
      // A running BFF is warm; this one just started. Two seconds of the same session's calls, before it is due.
      warmUp: (sessionId) =>
        generator.run({ url: `${bff.url}/api/orders/42`, headers: { cookie: `${SESSION_COOKIE}=${sessionId}`, 'x-csrf': '1' }, connections: 32, seconds: 2 }).then(() => undefined),
    });
    return { ...result, concurrency: options.stormConcurrency };
  } finally {
    await bff.stop();
    await idp.stop();
  }
}

/** Prints how to reach every target, then waits for Ctrl-C (which cleans up as usual). */
async function hold(subjects: readonly Subject[]): Promise<void> {
  for (const subject of subjects) {
    const headers = Object.entries(subject.load.headers).map(([name, value]) => ` -H '${name}: ${value}'`).join('');
    process.stdout.write(`${subject.name} (pid ${subject.pid}):\n  wrk -c 32 -d 10s${headers} '${subject.load.url}'\n`);
  }
  log('holding; Ctrl-C stops everything');
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
}

async function expectOk(subject: Subject): Promise<void> {
  const response = await fetch(subject.load.url, { headers: subject.load.headers });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${subject.name}: GET ${subject.load.url} answered ${response.status}, not 200`);
}

async function progress(pending: Promise<Measurement>): Promise<Measurement> {
  const run = await pending;
  log(`${run.target.padEnd(34)} r${run.round} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  ${run.cpuUsPerRequest.toFixed(0)} µs CPU/req  errors ${run.errors}`);
  return run;
}

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop();
    await step?.().catch((error: unknown) => log(`cleanup: ${error instanceof Error ? error.message : String(error)}`));
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping every child process and removing the bench database and keys`);
    void cleanUp().finally(() => process.exit(130));
  });
}
process.on('exit', killAllNow);

main()
  .then(cleanUp, async (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    await cleanUp();
    process.exitCode = 1;
  })
  .finally(() => {
    if (!interrupted) process.exit();
  });
