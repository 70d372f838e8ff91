import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startDevIdp } from '../dev/idp/dev-idp';
import { freePort } from '../test/support/free-port';
import { benchRedisPrefix, createBenchDatabase, dropKeysUnder, REDIS_URL, vaultFootprint } from './fixtures';
import { loginRate, SESSION_COOKIE, signIn } from './flows';
import { idleRss } from './idle-memory';
import { loadGenerator } from './load';
import { checkEquivalence, seedUsers, writeSessionIds } from './many-users';
import { measure, summarise, type Measurement, type Subject } from './measure';
import { missSteps } from './miss-steps';
import { cacheLookups } from './metrics-scrape';
import { parseOptions, USAGE } from './options';
import { killAllNow, memory, stopAll } from './processes';
import { renderMarkdown, type Report } from './report';
import { websocketRoundTrips, type WebSocketRun } from './websocket-load';
import { figure, row, type Goal } from './table';
import { stormScenario } from './storm-scenario';
import { REPO_ROOT, startBff, startHelper, type BffTarget } from './targets';
import { limitedBff, startOtlpSink, tracedBff } from './variants';
import { exchangeRoute, exchangeRow, exchangeSubject } from './token-exchange-scenario';
import { boundSessionScenario } from './bound-session';
import { dpopRow, dpopScenario } from './dpop-scenario';

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
// Issue 25's targets against the job floor in the same rounds.
const SINGLE_SESSION_GOAL: Goal = { rps: 0.9, cpu: 1.2, p99: 1.5 };
const MANY_USERS_GOAL: Goal = { rps: 0.7, cpu: 1.6, p99: 2 };
const MIB = 1024 * 1024;
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
    rows: [],
    memoryLines: [],
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

  const ports = { bff: await freePort(), admin: await freePort(), workers: await freePort(), workersAdmin: await freePort(), dpop: await freePort() };
  const publicUrl = `http://127.0.0.1:${ports.bff}`;
  const workersUrl = `http://127.0.0.1:${ports.workers}`;
  const idp = await startDevIdp({
    accessTokenTtlSeconds: 3600,
    // Scenario d signs in at its own BFF (OIDC_DPOP=on), so that its session has a key.
    redirectUris: [`${publicUrl}/auth/callback`, `${workersUrl}/auth/callback`, `http://127.0.0.1:${ports.dpop}/auth/callback`],
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
  const profiled = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const bff = await launch('bff', bffEnv(ports.bff, ports.admin), profiled);
  const workers = options.workers > 0 ? await launch(`bff-workers${options.workers}`, bffEnv(ports.workers, ports.workersAdmin, { WORKERS: String(options.workers) })) : undefined;
  log(`BFF pid ${bff.pid} on ${bff.url}${workers ? `, WORKERS=${options.workers} pid ${workers.pid} on ${workers.url}` : ''}`);

  const sessionId = await signIn(publicUrl, 'alice');
  // A sidecar's footprint at rest: start-up and one login, no load yet (the helpers are as they started).
  const idle = { bff: await idleRss(bff.pid), bare: await idleRss(bare.pid) };
  const machineToken = (await idp.issueClientCredentialsToken()).access_token;
  const session = { ...BROWSER_HEADERS, cookie: `${SESSION_COOKIE}=${sessionId}`, 'x-csrf': '1' };
  // The job floor adds, from constants, exactly the identity headers this BFF sent upstream for the signed-in user.
  const floor = await startHelper('job floor', 'floor-proxy.js', [upstream.url, JSON.stringify(await forwardedIdentity(`${bff.url}/api/__headers`, session))]);
  const subjects = {
    bare: { name: 'bare proxy', pid: bare.pid, load: { url: `${bare.url}/orders/42?expand=items`, headers: session } },
    floor: { name: 'job floor', pid: floor.pid, load: { url: `${floor.url}/orders/42?expand=items`, headers: session } },
    s1: { name: 'bff session', pid: bff.pid, load: { url: `${bff.url}/api/orders/42?expand=items`, headers: session } },
    s4: { name: 'bff bearer', pid: bff.pid, load: { url: `${bff.url}/machines/orders/42?expand=items`, headers: { ...BROWSER_HEADERS, authorization: `Bearer ${machineToken}` } } },
    s0: { name: 'bff no auth', pid: bff.pid, load: { url: `${bff.url}/public/orders/42?expand=items`, headers: session } },
    s1w: workers ? { name: `bff session ×${options.workers} workers`, pid: workers.pid, load: { url: `${workers.url}/api/orders/42?expand=items`, headers: session } } : undefined,
  } satisfies Record<string, Subject | undefined>;
  const exchanged = options.only.has('x') ? exchangeSubject(subjects.s1) : undefined;
  const dpop = options.only.has('d') ? await dpopScenario(launch, bffEnv, ports.dpop, subjects.s1.load, profiled) : undefined;

  const env = bffEnv(ports.bff, ports.admin);
  const many = options.only.has('2') && options.sessions > 0 ? await manyUsers(env, redis, sessionId, options.sessions, subjects) : undefined;
  if (many) {
    report.manyUsers = { sessions: options.sessions, seed: many.seed, equivalence: many.equivalence, hitRate: 0, lookups: 0 };
    log('timing the steps of a session-cache miss');
    report.missSteps = await missSteps(redis, prefix, encryptionKey, many.sessionIds, env);
  }
  const sink = options.only.has('t') ? await startOtlpSink() : undefined;
  if (sink) cleanups.push(() => sink.close());
  const traced = sink ? await tracedBff(launch, bffEnv, sink, subjects.s1.load) : undefined;
  const sampled = sink ? await tracedBff(launch, bffEnv, sink, subjects.s1.load, 0.1) : undefined;
  const limited = options.only.has('m') && options.memoryLimitMib > 0 ? await limitedBff(launch, bffEnv, options.memoryLimitMib, subjects.s1.load) : undefined;
  if (limited?.limit) cleanups.push(() => Promise.resolve(limited.target.stop().then(() => limited.limit?.remove())));
  for (const subject of [subjects.bare, subjects.floor, subjects.s0, subjects.s1, subjects.s4, subjects.s1w, traced?.subject, sampled?.subject, limited?.subject, exchanged, dpop?.subject]) if (subject) await expectOk(subject);
  if (options.hold) return hold([subjects.bare, subjects.floor, subjects.s0, subjects.s1, subjects.s4, ...(subjects.s1w ? [subjects.s1w] : [])]);

  const phase1 = [
    subjects.floor,
    subjects.bare,
    ...(options.only.has('0') ? [subjects.s0] : []),
    ...(options.only.has('1') || exchanged || dpop ? [subjects.s1] : []),
    ...(exchanged ? [exchanged] : []),
    ...(dpop ? [dpop.subject] : []),
    ...(options.only.has('4') ? [subjects.s4] : []),
    ...(many ? [many.floor, many.subject] : []),
    ...(options.only.has('1') && subjects.s1w ? [subjects.s1w] : []),
    ...(traced ? [traced.subject] : []),
    ...(sampled ? [sampled.subject] : []),
    ...(limited ? [limited.subject] : []),
  ];
  log(`warming up ${phase1.map((s) => s.name).join(', ')}`);
  idp.resetCounters();
  for (const subject of phase1) await generator.run({ ...subject.load, connections: options.connections, seconds: 2 });
  const lookups = { hits: 0, misses: 0 };
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const subject of phase1) {
      const before = subject === many?.subject ? await cacheLookups(bff.adminUrl, ADMIN_TOKEN) : undefined;
      runs.push(await progress(measure(generator, subject, options.connections, options.duration, round)));
      if (before) {
        const after = await cacheLookups(bff.adminUrl, ADMIN_TOKEN);
        lookups.hits += after.hits - before.hits;
        lookups.misses += after.misses - before.misses;
      }
    }
  }
  const [floorName, bareName] = [subjects.floor.name, subjects.bare.name];
  const rows = report.rows;
  rows.push(row(runs, 'job floor (bare proxy + what a BFF must add)', floorName, undefined, bareName), row(runs, 'bare proxy', bareName, floorName));
  if (options.only.has('0')) rows.push(row(runs, 'no auth (route `auth: none`)', subjects.s0.name, floorName, bareName));
  if (options.only.has('1') || exchanged || dpop) rows.push(row(runs, 'single session (cache hits)', subjects.s1.name, floorName, bareName, SINGLE_SESSION_GOAL));
  if (exchanged) rows.push(exchangeRow(runs, exchanged, subjects.s1, floorName, bareName, idp.counters.tokenRequests));
  if (dpop) rows.push(dpopRow(runs, dpop.subject, subjects.s1, floorName, bareName));
  if (many && report.manyUsers) {
    const lookupCount = lookups.hits + lookups.misses;
    Object.assign(report.manyUsers, { hitRate: lookupCount > 0 ? lookups.hits / lookupCount : Number.NaN, lookups: lookupCount });
    rows.push({ ...row(runs, `many users (${options.sessions} sessions in turn)`, many.subject.name, many.floor.name, bareName, MANY_USERS_GOAL), note: `hit rate ${(report.manyUsers.hitRate * 100).toFixed(1)} %` });
  }
  if (options.only.has('4')) rows.push(row(runs, 'bearer JWT (machine client)', subjects.s4.name, floorName, bareName, SINGLE_SESSION_GOAL));
  if (subjects.s1w && options.only.has('1')) rows.push(row(runs, `single session, WORKERS=${options.workers}`, subjects.s1w.name, floorName, bareName));
  if (limited) rows.push(row(runs, `single session in ${options.memoryLimitMib} MiB${limited.limit ? ' (cgroup)' : ' (--max-old-space-size)'}`, limited.subject.name, floorName, bareName, { rps: 0.8 }));
  if (traced) rows.push(row(runs, 'single session, span export on (OTLP/HTTP)', traced.subject.name, floorName, bareName));
  if (sampled) rows.push(row(runs, 'single session, span export on, 10 % sampled', sampled.subject.name, floorName, bareName));
  if (traced && sampled) {
    const cost = (subject: Subject) => 1 - (summarise(runs, subject.name, subjects.s1.name).vsBaseline?.rps ?? Number.NaN);
    report.tracing = { costRps: cost(traced.subject), sampledCostRps: cost(sampled.subject), exports: sink!.exports, bytes: sink!.bytes };
  }
  if (limited) report.memoryLimit = { mib: options.memoryLimitMib, alive: limited.target.process.exitCode === null && limited.target.process.signalCode === null, ...(limited.limit?.usage() ?? {}) };
  report.memoryLines.push({ label: 'idle RSS after start-up and one login: BFF', rssMib: idle.bff / MIB, note: `${idle.bff / MIB <= 110 ? '✓' : '✗'} ≤ 110 MiB; bare proxy ${(idle.bare / MIB).toFixed(0)} MiB` });

  const footprint = await vaultFootprint(redis, prefix, sessionId, encryptionKey);
  report.memory = { footprint };

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
    const bound = await boundSessionScenario({ options, generator, bffEnv, launch, floor: subjects.floor, bare: subjects.bare, headers: BROWSER_HEADERS, progress });
    runs.push(...bound.runs);
    report.rows.push(...bound.rows);
  }
  if (options.only.has('3')) report.storm = await stormScenario(options, generator, { redis, prefix, encryptionKey }, { url: bare.url, path: '/orders/42' }, bffEnv, launch, log);
  if (options.only.has('5') && options.loginSeconds > 0) {
    log('full logins');
    report.logins = await loginRate(publicUrl, bff.pid, options.loginSeconds, 4);
  }
  if (options.soak > 0) {
    log(`soak ${options.soak} s`);
    const windows: { rps: number; rss: number }[] = [];
    // The many-users load when there is one: every request a session-cache miss, the path that allocates most.
    const soaked = many?.subject ?? subjects.s1;
    for (let window = 0; window < Math.ceil(options.soak / 10); window += 1) {
      const run = await measure(generator, { ...soaked, name: 'soak' }, options.connections, 10, 300 + window);
      runs.push(run);
      windows.push({ rps: run.rps, rss: memory(bff.pid).rss });
    }
    report.soak = { seconds: options.soak, load: many ? 'many users' : 'single session', windows };
    const settled = windows.slice(Math.min(6, windows.length - 1)).map((window) => window.rss / MIB);
    const growth = Math.max(...settled) / Math.min(...settled) - 1;
    report.memoryLines.push({
      label: `soak, ${options.soak} s of ${report.soak.load}: RSS after the first minute`,
      rssMib: figure(settled),
      rps: figure(windows.map((window) => window.rps)),
      note: `${(growth * 100).toFixed(1)} % apart ${growth <= 0.05 ? '✓ flat' : '✗ grows'}`,
    });
  }
  const peaks = { bff: memory(bff.pid).peak, bare: memory(bare.pid).peak };
  report.memoryLines.push({
    label: 'peak RSS over the whole run (VmHWM): BFF',
    rssMib: peaks.bff / MIB,
    note: `${(peaks.bff / peaks.bare).toFixed(2)}× the bare proxy's ${(peaks.bare / MIB).toFixed(0)} MiB ${peaks.bff / peaks.bare <= 1.3 ? '✓' : '✗'} ≤ 1.3×`,
  });

  const markdown = renderMarkdown(report);
  const resultFile = join(RESULTS_DIR, `bench-${stamp}.json`);
  writeFileSync(resultFile, `${JSON.stringify({ ...report, options: { ...options, only: [...options.only] }, runs, markdown }, null, 2)}\n`);
  process.stdout.write(`\n${markdown}\n\n`);
  log(`results: ${resultFile}${options.cpuProf ? `; CPU profiles: ${profileDir} (after the BFF exits)` : ''}`);
}

/** What the BFF sends upstream besides the client's own headers, minus what changes per request: the floor's constants. */
async function forwardedIdentity(url: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const response = await fetch(url, { headers });
  const seen = (await response.json()) as Record<string, string>;
  const perRequest = new Set(['host', 'connection', 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'traceparent', 'tracestate']);
  return Object.fromEntries(Object.entries(seen).filter(([name]) => !perRequest.has(name) && !(name in headers)));
}

/** Scenario 2: the sessions (checked against the real login's), their id file, and the BFF and floor under that load. */
async function manyUsers(env: Record<string, string>, redis: Redis, loginSessionId: string, count: number, subjects: { floor: Subject; s1: Subject }) {
  const equivalence = await checkEquivalence(env, redis, loginSessionId);
  log(`the fast path's vault entry ${equivalence.equal ? 'matches' : `DIFFERS from (${equivalence.differences.join(', ')})`} the login's; seeding ${count} sessions`);
  const { sessionIds, ...seed } = await seedUsers(env, equivalence.template.contents, count, equivalence.template.userAgent, redis);
  const file = join(RESULTS_DIR, `session-ids-${process.pid}.txt`);
  writeSessionIds(file, sessionIds);
  cleanups.push(() => Promise.resolve(rmSync(file, { force: true })));
  const cookies = { name: SESSION_COOKIE, file };
  return {
    seed,
    sessionIds,
    equivalence: { equal: equivalence.equal, differences: equivalence.differences },
    floor: { ...subjects.floor, name: 'job floor (many users)', load: { ...subjects.floor.load, cookies } },
    subject: { ...subjects.s1, name: 'bff many users', load: { ...subjects.s1.load, cookies } },
  };
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
  log(`${run.target.padEnd(34)} r${run.round} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  ${run.cpuUsPerRequest.toFixed(0)} µs CPU/req  ${run.syscallsPerRequest.toFixed(1)} syscalls/req  errors ${run.errors}`);
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
