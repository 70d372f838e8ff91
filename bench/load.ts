import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './processes';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and non-2xx/3xx answers. */
  errors: number;
}

export interface LoadRun {
  url: string;
  headers: Readonly<Record<string, string>>;
  connections: number;
  seconds: number;
  /** Many users: each request carries the next session id of this file (one a line) as this cookie, in turn. */
  cookies?: { name: string; file: string };
}

export type LoadGenerator = { name: 'wrk' | 'autocannon'; run(load: LoadRun): Promise<LoadResult> };

/** wrk when installed (C, cheap on a 2-core box), else autocannon from npm (Node, millisecond latency resolution). */
export function loadGenerator(prefer: 'auto' | 'wrk' | 'autocannon'): LoadGenerator {
  if (prefer !== 'autocannon' && hasWrk()) return { name: 'wrk', run: runWrk };
  if (prefer === 'wrk') throw new Error('--loader wrk, but wrk is not installed (apt-get install wrk)');
  return {
    name: 'autocannon',
    run: (load) => {
      if (load.cookies) throw new Error('the many-users scenario needs wrk (apt-get install wrk)');
      return runAutocannon(load);
    },
  };
}

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error: unknown) {
    // `wrk --version` exits 1 after printing its version; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

const WRK_REPORT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

// One wrk thread walks the list in turn: with more sessions than requests in a session-cache lifetime, every one misses.
const WRK_ROTATE_COOKIES = (file: string, name: string) => `
local ids = {}
for line in io.lines(${JSON.stringify(file)}) do ids[#ids + 1] = line end
local next_id = 0
request = function()
  next_id = next_id % #ids + 1
  wrk.headers["cookie"] = "${name}=" .. ids[next_id]
  return wrk.format()
end
`;

const wrkScripts = new Map<string, string>();

async function runWrk(load: LoadRun): Promise<LoadResult> {
  const cookies = load.cookies;
  const scriptKey = cookies ? `${cookies.name}:${cookies.file}` : '';
  let script = wrkScripts.get(scriptKey);
  if (script === undefined) {
    script = writeTemp(`bench-wrk-${wrkScripts.size}.lua`, (cookies ? WRK_ROTATE_COOKIES(cookies.file, cookies.name) : '') + WRK_REPORT);
    wrkScripts.set(scriptKey, script);
  }
  const args = ['-t', '1', '-c', String(load.connections), '-d', `${load.seconds}s`, '--timeout', '10s', '-s', script];
  for (const [name, value] of Object.entries(load.headers)) if (!(cookies && name === 'cookie')) args.push('-H', `${name}: ${value}`);
  const output = await capture('wrk', [...args, load.url]);
  const line = output.split('\n').find((entry) => entry.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no report:\n${output}`);
  const report = JSON.parse(line.slice('BENCH_JSON '.length)) as { requests: number; duration_us: number; errors: number; p50_us: number; p99_us: number };
  const seconds = report.duration_us / 1e6;
  return {
    requests: report.requests,
    seconds,
    rps: report.requests / seconds,
    p50Ms: report.p50_us / 1000,
    p99Ms: report.p99_us / 1000,
    errors: report.errors,
  };
}

async function runAutocannon(load: LoadRun): Promise<LoadResult> {
  const cli = require.resolve('autocannon/autocannon.js');
  const args = [cli, '-j', '-c', String(load.connections), '-d', String(load.seconds), '-t', '10'];
  for (const [name, value] of Object.entries(load.headers)) args.push('-H', `${name}:${value}`);
  const output = await capture(process.execPath, [...args, load.url]);
  const report = JSON.parse(output.slice(output.indexOf('{'))) as {
    requests: { total: number };
    duration: number;
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    requests: report.requests.total,
    seconds: report.duration,
    rps: report.requests.total / report.duration,
    p50Ms: report.latency.p50,
    p99Ms: report.latency.p99,
    errors: report.errors + report.timeouts + report.non2xx,
  };
}

/** Runs a command to its end; resolves with its standard output. */
function capture(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    let errors = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}:\n${output}${errors}`))));
  });
}

function writeTemp(name: string, text: string): string {
  const file = join(tmpdir(), `${process.pid}-${name}`);
  writeFileSync(file, text);
  process.once('exit', () => rmSync(file, { force: true }));
  return file;
}
