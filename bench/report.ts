import type { LoginRate, StormReport } from './flows';
import type { SeedResult, VaultFootprint } from './fixtures';
import { median, type Summary } from './measure';
import type { WebSocketRun } from './websocket-load';

export interface Report {
  startedAt: string;
  machine: { cpus: number; node: string; loader: string; connections: number; duration: number; rounds: number };
  scenarios: { label: string; summary: Summary; goal?: Goal }[];
  storm?: StormReport & { concurrency: number };
  logins?: LoginRate;
  memory?: { footprint: VaultFootprint; seed?: SeedResult };
  highConcurrency?: { connections: number; summaries: Summary[]; bffPeakRss: number };
  soak?: { seconds: number; windows: { rps: number; rss: number }[] };
  websocket?: { connections: number; runs: WebSocketRun[] };
}

/** The issue's targets, as ratios to the bare proxy. */
export interface Goal {
  rps?: number;
  cpu?: number;
  p99?: number;
}

const MIB = 1024 * 1024;

export function renderMarkdown(report: Report): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(
    `Benchmark ${report.startedAt}: ${m.cpus} CPUs, Node ${m.node}, ${m.loader}, ${m.connections} connections, ${m.rounds} rounds × ${m.duration} s per target, interleaved.`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | CPU µs/req | max RSS MiB | errors | req/s ÷ bare | CPU ÷ bare | p99 ÷ bare |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const { label, summary: s, goal } of report.scenarios) {
    const v = s.vsBaseline;
    lines.push(
      `| ${label} | ${fmt(s.rps, 0)} | ${fmt(s.p50Ms, 2)} | ${fmt(s.p99Ms, 2)} | ${fmt(s.cpuUsPerRequest, 0)} | ${fmt(s.maxRss / MIB, 0)} | ${s.errors} | ` +
        `${v ? ratio(v.rps, goal?.rps, 'min') : '1'} | ${v ? ratio(v.cpu, goal?.cpu, 'max') : '1'} | ${v ? ratio(v.p99, goal?.p99, 'max') : '1'} |`,
    );
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
    const { footprint: f, seed } = report.memory;
    lines.push('', `Redis per session: MEMORY USAGE of the session hash ${f.sessionKeyBytes} B for ${f.rawTokenBytes} B of raw tokens (${fmt(f.sessionKeyBytes / f.rawTokenBytes, 2)}×; sealed contents ${f.sealedBytes} B).`);
    if (seed) lines.push(`${seed.sessions} sessions seeded in ${fmt(seed.seconds, 1)} s; used_memory grew ${fmt(seed.usedMemoryPerSession, 0)} B per session, indexes included (${fmt(seed.usedMemoryPerSession / f.rawTokenBytes, 2)}× the raw tokens).`);
  }
  if (report.highConcurrency) {
    const h = report.highConcurrency;
    lines.push('', `Under ${h.connections} connections: ` + h.summaries.map((s) => `${s.target} ${fmt(s.rps, 0)} req/s, p99 ${fmt(s.p99Ms, 1)} ms, max RSS ${fmt(s.maxRss / MIB, 0)} MiB, errors ${s.errors}`).join('; ') + `; BFF peak RSS (VmHWM) ${fmt(h.bffPeakRss / MIB, 0)} MiB.`);
  }
  if (report.websocket) lines.push('', ...websocketTable(report.websocket));
  if (report.soak) {
    const w = report.soak.windows;
    const rss = w.map((window) => window.rss / MIB);
    lines.push('', `Soak (${report.soak.seconds} s, scenario 1): req/s per window ${w.map((window) => fmt(window.rps, 0)).join(', ')}; RSS MiB ${rss.map((value) => fmt(value, 0)).join(', ')}.`);
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

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}
