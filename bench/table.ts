import { median, type Measurement } from './measure';

/** A median and its spread: half the range of the rounds, as a fraction of the median. */
export interface Figure {
  median: number;
  spread: number;
  rounds: number;
}

export function figure(values: readonly number[]): Figure {
  const middle = median(values);
  const spread = values.length > 1 && middle !== 0 ? (Math.max(...values) - Math.min(...values)) / 2 / Math.abs(middle) : 0;
  return { median: middle, spread, rounds: values.length };
}

/** Goals as ratios to the job floor: req/s at least `rps`, CPU and p99 at most `cpu` and `p99`. */
export interface Goal {
  rps?: number;
  cpu?: number;
  p99?: number;
}

export interface Ratios {
  rps: Figure;
  cpu: Figure;
  p99: Figure;
}

export interface Row {
  label: string;
  rps: Figure;
  cpu: Figure;
  p99: Figure;
  maxRssMib: number;
  errors: number;
  vsFloor?: Ratios;
  vsBare?: Ratios;
  goal?: Goal;
  note?: string;
}

/** One target's rounds, with per-round ratios to the baselines run next to it in the same rounds. */
export function row(runs: readonly Measurement[], label: string, target: string, floor?: string, bare?: string, goal?: Goal): Row {
  const mine = runs.filter((run) => run.target === target);
  return {
    label,
    rps: figure(mine.map((run) => run.rps)),
    cpu: figure(mine.map((run) => run.cpuUsPerRequest)),
    p99: figure(mine.map((run) => run.p99Ms)),
    maxRssMib: Math.max(0, ...mine.map((run) => run.maxRss)) / 1048576,
    errors: mine.reduce((sum, run) => sum + run.errors, 0),
    vsFloor: floor === undefined || floor === target ? undefined : ratios(runs, mine, floor),
    vsBare: bare === undefined || bare === target ? undefined : ratios(runs, mine, bare),
    goal,
  };
}

function ratios(runs: readonly Measurement[], mine: readonly Measurement[], baseline: string): Ratios | undefined {
  const pairs = mine.flatMap((run) => {
    const base = runs.find((other) => other.target === baseline && other.round === run.round);
    return base ? [{ run, base }] : [];
  });
  if (pairs.length === 0) return undefined;
  return {
    rps: figure(pairs.map(({ run, base }) => run.rps / base.rps)),
    cpu: figure(pairs.map(({ run, base }) => run.cpuUsPerRequest / base.cpuUsPerRequest)),
    p99: figure(pairs.map(({ run, base }) => run.p99Ms / base.p99Ms)),
  };
}

/** Memory and soak lines of the same table: a label and what to show in its RSS column and note. */
export interface MemoryLine {
  label: string;
  rssMib: Figure | number;
  rps?: Figure;
  note: string;
}

export function renderTable(rows: readonly Row[], memory: readonly MemoryLine[]): string[] {
  const lines = [
    '| | req/s | CPU µs/req | p99 ms | req/s ÷ floor | CPU ÷ floor | p99 ÷ floor | req/s ÷ bare | CPU ÷ bare | p99 ÷ bare | max RSS MiB | errors |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const f = r.vsFloor;
    const b = r.vsBare;
    lines.push(
      `| ${r.label}${r.note ? ` (${r.note})` : ''} | ${show(r.rps, 0)} | ${show(r.cpu, 0)} | ${show(r.p99, 2)} | ` +
        `${f ? verdict(f.rps, r.goal?.rps, 'min') : ''} | ${f ? verdict(f.cpu, r.goal?.cpu, 'max') : ''} | ${f ? verdict(f.p99, r.goal?.p99, 'max') : ''} | ` +
        `${b ? show(b.rps, 2) : ''} | ${b ? show(b.cpu, 2) : ''} | ${b ? show(b.p99, 2) : ''} | ${fmt(r.maxRssMib, 0)} | ${r.errors} |`,
    );
  }
  for (const m of memory) {
    const rss = typeof m.rssMib === 'number' ? fmt(m.rssMib, 0) : show(m.rssMib, 0);
    lines.push(`| ${m.label} | ${m.rps ? show(m.rps, 0) : ''} | | | | | | | | | ${rss} | ${m.note} |`);
  }
  return lines;
}

function show(value: Figure, digits: number): string {
  return `${fmt(value.median, digits)} ±${fmt(value.spread * 100, 0)}%`;
}

function verdict(value: Figure, goal: number | undefined, kind: 'min' | 'max'): string {
  const text = `${fmt(value.median, 2)}× ±${fmt(value.spread * 100, 0)}%`;
  if (goal === undefined) return text;
  const met = kind === 'min' ? value.median >= goal : value.median <= goal;
  return `${text} ${met ? '✓' : '✗'} ${kind === 'min' ? '≥' : '≤'}${goal}`;
}

export function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** `÷ <label>: req/s …×, CPU …×; ` — a variant's medians against the scenario it varies, from the same rounds. */
export function ratiosTo(runs: readonly Measurement[], subject: string, baseline: string, label: string): string {
  const versus = row(runs, '', subject, baseline).vsFloor;
  return versus ? `÷ ${label}: req/s ${versus.rps.median.toFixed(2)}×, CPU ${versus.cpu.median.toFixed(2)}×; ` : '';
}
