import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BffProcess {
  child: ChildProcess;
  /** Resolves with the exit code when the process ends, for whatever reason. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const STARTUP_LIMIT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** Runs the built BFF (`node dist/main.js`) as a user would, with exactly the environment given. */
export function spawnBff(repoRoot: string, env: Record<string, string>, cwd: string): BffProcess {
  const main = join(repoRoot, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error('dist/main.js is missing: run `npm run build` first');
  const child = spawn(process.execPath, [main], { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // Unref'd: a pending grace timer must not keep the demo alive after the BFF has exited (Ctrl-C returns at once).
      const stopped = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, undefined, { ref: false }).then(() => false)]);
      if (!stopped) child.kill('SIGKILL');
    },
  };
}

/** Polls the admin port's /healthz until it answers 200, or fails when the process exits or takes too long. */
export async function waitUntilHealthy(bff: BffProcess, adminUrl: string): Promise<void> {
  let exitedEarly = false;
  void bff.exited.then(() => (exitedEarly = true));
  const deadline = Date.now() + STARTUP_LIMIT_MS;
  while (Date.now() < deadline) {
    if (exitedEarly) throw new Error('the BFF exited during start-up (see its output above)');
    const healthy = await fetch(`${adminUrl}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await sleep(250);
  }
  throw new Error(`the BFF did not become healthy within ${STARTUP_LIMIT_MS / 1000} s`);
}
