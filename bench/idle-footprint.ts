import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startDevIdp } from '../dev/idp/dev-idp';
import { freePort } from '../test/support/free-port';
import { benchRedisPrefix, createBenchDatabase, REDIS_URL } from './fixtures';
import { signIn } from './flows';
import { heapGroups } from './heap-packages';
import { idleRss } from './idle-memory';
import { killAllNow, memory, stopAll } from './processes';
import { REPO_ROOT, startBff, startHelper } from './targets';

const MIB = 1024 * 1024;
const ADMIN_TOKEN = 'footprint-admin-token-0123456789abcdefghijkl';
const USAGE = `node .dev-build/bench/idle-footprint.js [--runs n] [--snapshot] [--node-args="<flags>"] [--env NAME=value …]

  The BFF's idle RSS after start-up and one login, measured as \`npm run bench\` does (n fresh BFFs, default 3), then
  after one call of each admin API (consumers list, /openapi.json). --snapshot also writes a heap snapshot of the last
  BFF at idle and prints it grouped: module code by package, the rest by V8 type.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '3' }, snapshot: { type: 'boolean', default: false }, 'node-args': { type: 'string', default: '' }, env: { type: 'string', multiple: true, default: [] }, help: { type: 'boolean', default: false } },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const runs = Number(values.runs);
  const nodeArgs = values['node-args'].split(' ').filter(Boolean);
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const database = await createBenchDatabase();
  const upstream = await startHelper('upstream', 'fast-upstream.js');
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const idp = await startDevIdp({ redirectUris: [`${publicUrl}/auth/callback`], postLogoutRedirectUris: [`${publicUrl}/`] });
  const rows: string[] = [];
  const notes: string[] = [];
  const logFile = join(resultsDir, `footprint-${process.pid}.log`);
  try {
    for (let run = 1; run <= runs; run += 1) {
      const snapshotDir = values.snapshot && run === runs ? join(resultsDir, `heap-${Date.now()}`) : undefined;
      const adminPort = await freePort();
      const bff = await startBff({
        name: `bff-footprint-${run}`,
        logFile,
        nodeArgs: [...nodeArgs, ...(snapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : [])],
        env: {
          NODE_ENV: 'production',
          PORT: String(port),
          ADMIN_PORT: String(adminPort),
          HOST: '127.0.0.1',
          ADMIN_TOKEN,
          PUBLIC_URL: publicUrl,
          OIDC_ISSUER: idp.issuer,
          OIDC_CLIENT_ID: idp.clientId,
          OIDC_CLIENT_SECRET: idp.clientSecret,
          REDIS_URL,
          REDIS_PREFIX: benchRedisPrefix(),
          DATABASE_URL: database.url,
          TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
          CONSUMER_OPTIONAL: 'true',
          UPSTREAM_URL: upstream.url,
          LOG_LEVEL: 'info',
          ...Object.fromEntries(values.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
        },
      });
      await signIn(publicUrl, 'alice');
      const idle = await idleRss(bff.pid);
      if (run === runs) notes.push(residentByMapping(bff.pid));
      let snapshotNote = '';
      if (snapshotDir) snapshotNote = await snapshot(bff.pid, snapshotDir);
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      for (const path of ['/consumers', '/openapi.json']) {
        const response = await fetch(`${bff.adminUrl}${path}`, { headers: admin });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
      }
      const afterAdmin = await idleRss(bff.pid);
      rows.push(`| ${run} | ${(idle / MIB).toFixed(1)} | ${(afterAdmin / MIB).toFixed(1)} | ${(memory(bff.pid).peak / MIB).toFixed(1)} |`);
      await bff.stop();
      if (snapshotNote) notes.push(snapshotNote);
    }
  } finally {
    await idp.stop();
    await stopAll();
    await database.drop();
    rmSync(logFile, { force: true });
  }
  process.stdout.write(`| run | idle RSS after start-up and one login, MiB | after the first admin calls | VmHWM |\n|--:|--:|--:|--:|\n${rows.join('\n')}\n${notes.join('\n')}\n`);
}

/** SIGUSR2 makes V8 write a snapshot (after a full collection) into the diagnostic directory; read it once complete. */
async function snapshot(pid: number, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  process.kill(pid, 'SIGUSR2');
  let file: string | undefined;
  let size = -1;
  for (;;) {
    await sleep(500);
    file ??= readdirSync(dir).find((name) => name.endsWith('.heapsnapshot'));
    if (!file) continue;
    const now = statSync(join(dir, file)).size;
    if (now === size && now > 0) break;
    size = now;
  }
  const path = join(dir, file);
  const groups = heapGroups(path);
  const top = [...groups.codeByPackage].sort((a, b) => b[1] - a[1]);
  const code = top.reduce((sum, [, bytes]) => sum + bytes, 0);
  const lines = [`\nheap snapshot ${path}: ${(groups.totalBytes / 1e6).toFixed(1)} MB; module code ${(code / 1e6).toFixed(1)} MB`];
  for (const [pkg, bytes] of top.slice(0, 40)) lines.push(`  ${pkg.padEnd(40)} ${(bytes / 1e6).toFixed(2)} MB`);
  lines.push('by V8 type:');
  for (const [type, bytes] of [...groups.byType].sort((a, b) => b[1] - a[1])) lines.push(`  ${type.padEnd(40)} ${(bytes / 1e6).toFixed(2)} MB`);
  if (!process.env['KEEP_SNAPSHOT'] && existsSync(path)) rmSync(dir, { recursive: true, force: true });
  return lines.join('\n');
}

/** Where the resident set is: the node binary and libraries (file-backed) against anonymous memory (heap, malloc). */
function residentByMapping(pid: number): string {
  const totals = new Map<string, number>();
  let current = '[anonymous]';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) current = mapping[1] ? basename(mapping[1]) : '[anonymous]';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) totals.set(current, (totals.get(current) ?? 0) + Number(rss[1]) * 1024);
  }
  const lines = [...totals].sort((a, b) => b[1] - a[1]).filter(([, bytes]) => bytes >= MIB / 4);
  return `\nresident set by mapping at idle (last run):\n${lines.map(([name, bytes]) => `  ${name.padEnd(40)} ${(bytes / MIB).toFixed(1)} MiB`).join('\n')}`;
}

process.on('exit', killAllNow);
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
