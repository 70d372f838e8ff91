import { spawn, execFileSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every child the bench starts, so that an error or Ctrl-C still stops them all. */
const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** `cgroupProcs`: a cgroup's `cgroup.procs`, which the process enters before node starts (a container's memory limit). */
export function startNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv, stdio: StdioOptions, nodeArgs: readonly string[] = [], cgroupProcs?: string): ChildProcess {
  const command = [process.execPath, ...nodeArgs, script, ...args];
  if (cgroupProcs === undefined) return track(spawn(command[0], command.slice(1), { env, stdio }));
  return track(spawn('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', cgroupProcs, ...command], { env, stdio }));
}

/** SIGTERM (graceful: lets a BFF write its CPU profile), then SIGKILL for whatever is left, descendants included. */
export async function stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const family = [child.pid, ...descendants(child.pid)];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(graceMs)]);
  for (const pid of family) killQuietly(pid, 'SIGKILL');
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)));
}

/** Synchronous last resort for `process.on('exit')`. */
export function killAllNow(): void {
  for (const child of children) {
    if (child.pid === undefined) continue;
    for (const pid of [child.pid, ...descendants(child.pid)]) killQuietly(pid, 'SIGKILL');
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Child processes, recursively (a BFF with WORKERS=n is a primary and its forked workers). */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of text.split(' ').filter(Boolean).map(Number)) found.push(child, ...descendants(child));
  }
  return found;
}

const CLOCK_TICKS = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** User + system CPU of a process and its descendants, in microseconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuMicros(pid: number): number {
  let ticks = 0;
  for (const member of [pid, ...descendants(pid)]) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields are counted after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited between listing and reading
    }
  }
  return (ticks * 1e6) / CLOCK_TICKS;
}

/** Read and write system calls of a process and its descendants so far (/proc/<pid>/io `syscr` + `syscw`). */
export function syscalls(pid: number): number {
  let count = 0;
  for (const member of [pid, ...descendants(pid)]) {
    try {
      const io = readFileSync(`/proc/${member}/io`, 'utf8');
      count += Number(/^syscr: (\d+)/m.exec(io)?.[1] ?? 0) + Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? 0);
    } catch {
      // exited, or not ours to read
    }
  }
  return count;
}

export interface MemorySample {
  /** Resident set size now, summed over the process tree, bytes. */
  rss: number;
  /** Peak resident set size (VmHWM) summed over the process tree, bytes. */
  peak: number;
}

export function memory(pid: number): MemorySample {
  let rss = 0;
  let peak = 0;
  for (const member of [pid, ...descendants(pid)]) {
    try {
      const status = readFileSync(`/proc/${member}/status`, 'utf8');
      rss += kib(status, 'VmRSS') * 1024;
      peak += kib(status, 'VmHWM') * 1024;
    } catch {
      // exited
    }
  }
  return { rss, peak };
}

function kib(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/** Samples a process tree's RSS while `work` runs: the highest value and the series (one point per interval). */
export async function sampleRss<T>(pid: number, intervalMs: number, work: () => Promise<T>): Promise<{ result: T; maxRss: number; series: number[] }> {
  const series: number[] = [];
  const timer = setInterval(() => series.push(memory(pid).rss), intervalMs);
  try {
    const result = await work();
    series.push(memory(pid).rss);
    return { result, maxRss: Math.max(...series), series };
  } finally {
    clearInterval(timer);
  }
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`${what} exited before it was ready`);
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms`);
}
