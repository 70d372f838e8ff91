import { setTimeout as sleep } from 'node:timers/promises';
import { memory } from './processes';

/**
 * A process's resident set at rest: sampled once a second until two samples in a row agree within 1 MiB (at most
 * `maxSeconds`), so that a collection still running after the last request is not counted as what it keeps.
 */
export async function idleRss(pid: number, maxSeconds = 15): Promise<number> {
  let previous = memory(pid).rss;
  for (let second = 0; second < maxSeconds; second += 1) {
    await sleep(1000);
    const current = memory(pid).rss;
    if (Math.abs(current - previous) < 1024 * 1024) return current;
    previous = current;
  }
  return previous;
}
