import type { LoadGenerator, LoadResult, LoadRun } from './load';
import { cpuMicros, memory, sampleRss, syscalls } from './processes';

export interface Measurement extends LoadResult {
  target: string;
  round: number;
  connections: number;
  cpuUsPerRequest: number;
  /** Read and write system calls per request: the socket work, which CPU time on a shared machine only blurs. */
  syscallsPerRequest: number;
  /** Highest sampled RSS of the target's process tree during the run, bytes. */
  maxRss: number;
  /** VmHWM after the run (peak since the process started), bytes. */
  peakRss: number;
}

export interface Subject {
  name: string;
  pid: number;
  load: Omit<LoadRun, 'connections' | 'seconds'>;
}

/** One closed-loop run against one target, with that target's CPU time and memory around it. */
export async function measure(generator: LoadGenerator, subject: Subject, connections: number, seconds: number, round: number): Promise<Measurement> {
  const cpuBefore = cpuMicros(subject.pid);
  const syscallsBefore = syscalls(subject.pid);
  const { result, maxRss } = await sampleRss(subject.pid, 250, () => generator.run({ ...subject.load, connections, seconds }));
  const cpu = cpuMicros(subject.pid) - cpuBefore;
  const calls = syscalls(subject.pid) - syscallsBefore;
  return {
    ...result,
    target: subject.name,
    round,
    connections,
    cpuUsPerRequest: result.requests > 0 ? cpu / result.requests : 0,
    syscallsPerRequest: result.requests > 0 ? calls / result.requests : 0,
    maxRss,
    peakRss: memory(subject.pid).peak,
  };
}

export interface Summary {
  target: string;
  runs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  maxRss: number;
  errors: number;
  /** Medians of the per-round ratios target / baseline (runs of the same round are neighbours in time). */
  vsBaseline?: { rps: number; cpu: number; p99: number };
}

export function summarise(runs: readonly Measurement[], target: string, baseline?: string): Summary {
  const mine = runs.filter((run) => run.target === target);
  const requests = mine.reduce((sum, run) => sum + run.requests, 0);
  const summary: Summary = {
    target,
    runs: mine.length,
    rps: median(mine.map((run) => run.rps)),
    p50Ms: median(mine.map((run) => run.p50Ms)),
    p99Ms: median(mine.map((run) => run.p99Ms)),
    cpuUsPerRequest: requests > 0 ? mine.reduce((sum, run) => sum + run.cpuUsPerRequest * run.requests, 0) / requests : 0,
    maxRss: Math.max(0, ...mine.map((run) => run.maxRss)),
    errors: mine.reduce((sum, run) => sum + run.errors, 0),
  };
  if (baseline === undefined || baseline === target) return summary;
  const pairs = mine.flatMap((run) => {
    const base = runs.find((other) => other.target === baseline && other.round === run.round && other.connections === run.connections);
    return base ? [{ run, base }] : [];
  });
  if (pairs.length === 0) return summary;
  summary.vsBaseline = {
    rps: median(pairs.map(({ run, base }) => run.rps / base.rps)),
    cpu: median(pairs.map(({ run, base }) => run.cpuUsPerRequest / base.cpuUsPerRequest)),
    p99: median(pairs.map(({ run, base }) => run.p99Ms / base.p99Ms)),
  };
  return summary;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The value below which `fraction` of the samples fall (nearest rank). */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}
