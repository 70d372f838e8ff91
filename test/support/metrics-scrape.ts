import { TEST_ADMIN_TOKEN } from './test-env';

/** One scrape of the admin port's Prometheus text, queried by metric name and a subset of labels. */
export class MetricsScrape {
  private constructor(private readonly text: string) {}

  static async of(adminUrl: string): Promise<MetricsScrape> {
    const response = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
    return new MetricsScrape(await response.text());
  }

  /** The sum of every sample of `name` whose labels include `labels` (0 when there is none). */
  value(name: string, labels: Record<string, string> = {}): number {
    let sum = 0;
    for (const line of this.text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const present = parseLabels(match[2] ?? '');
      if (Object.entries(labels).every(([key, value]) => present[key] === value)) sum += Number(match[3]);
    }
    return sum;
  }
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    if (key !== undefined && value !== undefined) labels[key] = value.replace(/\\(.)/g, '$1');
  }
  return labels;
}

/** How much a metric moved between two scrapes. */
export function delta(before: MetricsScrape, after: MetricsScrape, name: string, labels: Record<string, string> = {}): number {
  return after.value(name, labels) - before.value(name, labels);
}
