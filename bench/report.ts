import type { LoginRate, StormReport } from './flows';
import type { VaultFootprint } from './fixtures';
import { median, type Summary } from './measure';
import type { Equivalence, SeededUsers } from './many-users';
import type { MissStep } from './miss-steps';
import { fmt, renderTable, type MemoryLine, type Row } from './table';
import type { WebSocketRun } from './websocket-load';

export interface Report {
  startedAt: string;
  machine: { cpus: number; node: string; loader: string; connections: number; duration: number; rounds: number };
  /** The performance table: every BFF scenario against the job floor and the bare proxy, then memory and soak. */
  rows: Row[];
  memoryLines: MemoryLine[];
  manyUsers?: { sessions: number; seed: Omit<SeededUsers, 'sessionIds'>; equivalence: Omit<Equivalence, 'template'>; hitRate: number; lookups: number };
  missSteps?: MissStep[];
  storm?: StormReport & { concurrency: number };
  logins?: LoginRate;
  memory?: { footprint: VaultFootprint };
  highConcurrency?: { connections: number; summaries: Summary[]; bffPeakRss: number; barePeakRss: number };
  soak?: { seconds: number; load: string; windows: { rps: number; rss: number }[] };
  websocket?: { connections: number; runs: WebSocketRun[] };
  /** What span export costs: 1 − (req/s traced ÷ req/s untraced), round by round. */
  tracing?: { costRps: number; sampledCostRps: number; exports: number; bytes: number };
  memoryLimit?: { mib: number; alive: boolean; peakMib?: number; limitHits?: number; oomKills?: number };
}

const MIB = 1024 * 1024;

export function renderMarkdown(report: Report): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(
    `Benchmark ${report.startedAt}: ${m.cpus} CPUs, Node ${m.node}, ${m.loader}, ${m.connections} connections, medians of ${m.rounds} interleaved rounds × ${m.duration} s per target, ± half the range of the rounds.`,
    '',
    ...renderTable(report.rows, report.memoryLines),
  );
  if (report.manyUsers) {
    const u = report.manyUsers;
    const equivalence = u.equivalence.equal ? 'the same as a real login\'s, ids and times aside ✓' : `NOT the same as a login's: ${u.equivalence.differences.join(', ')} ✗`;
    lines.push(
      '',
      `Many users: ${u.sessions} sessions written by the BFF's SessionStore from a real login's contents in ${fmt(u.seed.seconds, 1)} s (${equivalence}); ` +
        `requests take them in turn. Session cache hit rate ${fmt(u.hitRate * 100, 1)} % of ${u.lookups} lookups (${u.hitRate <= 0.1 ? '✓' : '✗'} ≤ 10 %), from the BFF's metrics.`,
    );
  }
  if (report.missSteps) {
    lines.push('', 'A session-cache miss, step by step (the bench process\'s CPU per call, median of 5 passes over 5,000 of those sessions):', '');
    lines.push('| step | µs |', '|---|--:|', ...report.missSteps.map((step) => `| ${step.step} | ${fmt(step.micros, 1)} |`));
  }
  if (report.tracing) {
    const t = report.tracing;
    const cost = t.costRps * 100;
    const sampled = t.sampledCostRps * 100;
    lines.push(
      '',
      `Span export on costs ${fmt(cost, 1)} % req/s against the same BFF with it off when every trace is recorded (${cost <= 10 ? '✓' : '✗'} ≤ 10 %), ` +
        `${fmt(sampled, 1)} % with 10 % of traces sampled (${sampled <= 10 ? '✓' : '✗'}); ${t.exports} OTLP exports, ${fmt(t.bytes / MIB, 1)} MiB.`,
    );
  }
  if (report.memoryLimit) {
    const l = report.memoryLimit;
    const usage = l.peakMib === undefined ? '' : `, cgroup peak ${fmt(l.peakMib, 0)} MiB, limit reached ${l.limitHits ?? 0} times, OOM kills ${l.oomKills ?? 0}`;
    lines.push('', `Memory limit ${l.mib} MiB: the BFF ${l.alive ? 'was still running at the end' : 'was killed'}${usage}.`);
  }
  if (report.storm) {
    const { storm } = report;
    lines.push(
      '',
      `Refresh storm: ${storm.concurrency} concurrent requests of one session whose access token is due. IdP latency, timed from the bench: ` +
        `refresh_token grant ${fmt(storm.idpRefreshMs, 1)} ms (client_credentials ${fmt(storm.idpClientCredentialsMs, 1)} ms). Target: 1 call, no failure, p99 ≤ refresh latency + 50 ms.`,
      '',
    );
    lines.push('| storm | token-endpoint calls | failures | first ms | p50 ms | p99 ms | max ms | p99 − refresh latency ms |', '|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const [label, b] of [['same burst, bare proxy', storm.bareBurst], ['same burst, token fresh', storm.burst]] as const) {
      lines.push(`| ${label} | ${b.tokenCalls} | ${b.failures} | ${fmt(b.minMs, 1)} | ${fmt(b.p50Ms, 1)} | ${fmt(b.p99Ms, 1)} | ${fmt(b.maxMs, 1)} | |`);
    }
    storm.storms.forEach((s, index) => {
      const verdict = s.tokenCalls === 1 && s.failures === 0 && s.p99Ms <= storm.idpRefreshMs + 50 ? ' ✓' : ' ✗';
      lines.push(`| ${index + 1} | ${s.tokenCalls} | ${s.failures} | ${fmt(s.minMs, 1)} | ${fmt(s.p50Ms, 1)} | ${fmt(s.p99Ms, 1)} | ${fmt(s.maxMs, 1)} | ${fmt(s.p99Ms - storm.idpRefreshMs, 1)}${verdict} |`);
    });
  }
  if (report.logins) {
    const l = report.logins;
    lines.push('', `Full logins through the dev IdP: ${fmt(l.perSecond, 1)}/s (${l.logins} in ${fmt(l.seconds, 1)} s, ${l.failures} failed, ${fmt(l.meanMs, 0)} ms each, BFF CPU ${fmt(l.bffCpuUsPerLogin / 1000, 1)} ms per login; the IdP shares the bench process).${l.firstFailure ? ` First failure: ${l.firstFailure}` : ''}`);
  }
  if (report.memory) {
    const { footprint: f } = report.memory;
    const seed = report.manyUsers?.seed;
    lines.push('', `Redis per session: MEMORY USAGE of the session hash ${f.sessionKeyBytes} B for ${f.rawTokenBytes} B of raw tokens (${fmt(f.sessionKeyBytes / f.rawTokenBytes, 2)}×; sealed contents ${f.sealedBytes} B).`);
    if (seed) lines.push(`Seeding the many-users sessions, used_memory grew ${fmt(seed.usedMemoryPerSession, 0)} B per session, indexes included (${fmt(seed.usedMemoryPerSession / f.rawTokenBytes, 2)}× the raw tokens).`);
  }
  if (report.highConcurrency) {
    const h = report.highConcurrency;
    lines.push('', `Under ${h.connections} connections: ` + h.summaries.map((s) => `${s.target} ${fmt(s.rps, 0)} req/s, p99 ${fmt(s.p99Ms, 1)} ms, max RSS ${fmt(s.maxRss / MIB, 0)} MiB, errors ${s.errors}`).join('; ') + `; peak RSS over the whole run (VmHWM): BFF ${fmt(h.bffPeakRss / MIB, 0)} MiB, bare proxy ${fmt(h.barePeakRss / MIB, 0)} MiB, ${ratio(h.bffPeakRss / h.barePeakRss, 1.3, 'max')}.`);
  }
  if (report.websocket) lines.push('', ...websocketTable(report.websocket));
  if (report.soak) {
    const w = report.soak.windows;
    const rss = w.map((window) => window.rss / MIB);
    // Flat: after the first minute (warm-up), the last window's RSS is within 5 % of the lowest since.
    const settled = rss.slice(Math.min(6, rss.length - 1));
    const growth = Math.max(...settled) / Math.min(...settled);
    // Long soaks are shown a minute (six 10 s windows) apart.
    const step = w.length > 12 ? 6 : 1;
    const shown = (values: number[]) => values.filter((_, index) => index % step === 0 || index === values.length - 1).map((value) => fmt(value, 0)).join(', ');
    lines.push('', `Soak (${report.soak.seconds} s, ${report.soak.load}, ${step === 6 ? 'each minute' : 'each 10 s'}): req/s ${shown(w.map((window) => window.rps))}; RSS MiB ${shown(rss)}; after the first minute RSS varies ${fmt((growth - 1) * 100, 1)} % (${growth <= 1.05 ? '✓ flat' : '✗ grows'}).`);
  }
  return lines.join('\n');
}

/** Medians over the rounds, each target against the bare relay; the goal is ≥ 0.8× its messages/s. */
function websocketTable({ connections, runs }: NonNullable<Report['websocket']>): string[] {
  const targets = [...new Set(runs.map((run) => run.target))];
  const of = (target: string) => runs.filter((run) => run.target === target);
  const med = (target: string, pick: (run: WebSocketRun) => number) => median(of(target).map(pick));
  const [bare = ''] = targets;
  const lines = [
    `WebSocket echo round trips: ${connections} sockets, each sending a 64-byte message and waiting for its echo; medians of ${of(bare).length} interleaved rounds.`,
    '',
    '| target | messages/s | p50 ms | p99 ms | CPU µs/message | errors | msg/s ÷ bare | p50 added ms |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const target of targets) {
    const rate = med(target, (run) => run.messagesPerSecond);
    const vsBare = target === bare ? '1' : ratio(rate / med(bare, (run) => run.messagesPerSecond), 0.8, 'min');
    const added = target === bare ? '' : fmt(med(target, (run) => run.p50Ms) - med(bare, (run) => run.p50Ms), 2);
    lines.push(
      `| ${target} | ${fmt(rate, 0)} | ${fmt(med(target, (run) => run.p50Ms), 2)} | ${fmt(med(target, (run) => run.p99Ms), 2)} | ${fmt(med(target, (run) => run.cpuUsPerMessage), 0)} | ${of(target).reduce((sum, run) => sum + run.errors, 0)} | ${vsBare} | ${added} |`,
    );
  }
  return lines;
}

function ratio(value: number, goal: number | undefined, kind: 'min' | 'max'): string {
  const text = `${fmt(value, 2)}×`;
  if (goal === undefined) return text;
  const met = kind === 'min' ? value >= goal : value <= goal;
  return `${text} ${met ? '✓' : '✗'} (${kind === 'min' ? '≥' : '≤'}${goal})`;
}
