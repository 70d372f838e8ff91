import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A memory cgroup the BFF is started in, as a container's memory limit would hold it. */
export interface MemoryLimit {
  mib: number;
  /** The file a process writes its pid to, to enter the cgroup before it execs node (so Node sizes its heap for it). */
  procsFile: string;
  /** Peak usage, how often the limit was hit, and OOM kills, read after the run. */
  usage(): { peakMib: number; limitHits: number; oomKills: number };
  remove(): void;
}

/** cgroup v2 or v1's memory controller, when this process may make one (root on a writable cgroupfs); else undefined. */
export function memoryLimit(mib: number, name: string): MemoryLimit | undefined {
  const bytes = String(mib * 1024 * 1024);
  const v2 = '/sys/fs/cgroup';
  const v1 = '/sys/fs/cgroup/memory';
  try {
    if (existsSync(join(v2, 'cgroup.controllers')) && readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').includes('memory')) {
      const dir = join(v2, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.max'), bytes);
      writeFileSync(join(dir, 'memory.swap.max'), '0');
      return {
        mib,
        procsFile: join(dir, 'cgroup.procs'),
        usage: () => ({
          peakMib: Number(readFileSync(join(dir, 'memory.peak'), 'utf8')) / 1048576,
          limitHits: eventCount(readFileSync(join(dir, 'memory.events'), 'utf8'), 'max'),
          oomKills: eventCount(readFileSync(join(dir, 'memory.events'), 'utf8'), 'oom_kill'),
        }),
        remove: () => rmdirSync(dir),
      };
    }
    if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
      const dir = join(v1, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
      return {
        mib,
        procsFile: join(dir, 'cgroup.procs'),
        usage: () => ({
          peakMib: Number(readFileSync(join(dir, 'memory.max_usage_in_bytes'), 'utf8')) / 1048576,
          limitHits: Number(readFileSync(join(dir, 'memory.failcnt'), 'utf8')),
          oomKills: eventCount(readFileSync(join(dir, 'memory.oom_control'), 'utf8'), 'oom_kill'),
        }),
        remove: () => rmdirSync(dir),
      };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function eventCount(text: string, name: string): number {
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
