import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { isWorkerMessage, type WorkerMessage } from './worker-messages';

const RESTART_DELAY_MS = 1_000;
const SHUTDOWN_BACKSTOP_MS = 15_000;

/**
 * WORKERS > 1: this process forks that many workers, each running the whole app, and serves nothing itself. Both
 * listeners are shared (node:cluster hands each new connection to the next worker). Migrations stay safe: every
 * worker applies them under the same Postgres advisory lock, so the first migrates and the others find nothing
 * pending. A worker that dies is replaced, except while the app first starts: then it stops them all, as a single
 * process that cannot start would exit. SIGTERM and SIGINT reach every worker, which drains as it would alone.
 */
export function superviseWorkers(config: AppConfig): void {
  const count = config.workers.count;
  const aggregator = new AggregatorRegistry();
  const listening = new Map<number, { browserUrl: string; adminUrl: string }>();
  let stopping = false;
  let announced = false;
  let exitCode = 0;

  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) onMessage(worker, message);
    });
  };

  const onMessage = (worker: Worker, message: WorkerMessage): void => {
    if (message.type === 'bff:listening') {
      listening.set(worker.id, message);
      // One line once every worker serves, in the single-process format (scripts wait for it).
      if (listening.size === count && !announced && !stopping) {
        announced = true;
        process.stdout.write(`BFF listening: browser ${message.browserUrl}, admin ${message.adminUrl} (${count} workers)\n`);
      }
    } else if (message.type === 'bff:metrics-request') {
      aggregator.clusterMetrics().then(
        (text) => send(worker, { type: 'bff:metrics', id: message.id, text }),
        (error: unknown) => send(worker, { type: 'bff:metrics', id: message.id, error: error instanceof Error ? error.message : 'aggregation failed' }),
      );
    }
  };

  const stop = (code: number): void => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdown.graceMs + SHUTDOWN_BACKSTOP_MS).unref();
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
  };

  cluster.on('exit', (worker, code, signal) => {
    const served = listening.delete(worker.id);
    if (stopping) {
      // A worker still starting has no SIGTERM handler yet: ended by our signal, it stopped as asked.
      if (code !== 0 && signal !== 'SIGTERM') exitCode = Math.max(exitCode, 1);
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    // Before the first announcement a worker that cannot start means the app cannot start; after it, keep trying.
    const replace = served || announced;
    process.stderr.write(`worker ${worker.process.pid ?? '?'} exited (${signal ?? code})${replace ? '; starting another' : ' while starting'}\n`);
    if (replace) setTimeout(() => stopping || fork(), RESTART_DELAY_MS);
    else stop(1);
  });
  process.once('SIGTERM', () => stop(0));
  process.once('SIGINT', () => stop(0));
  for (let index = 0; index < count; index += 1) fork();
}

function send(worker: Worker, message: WorkerMessage): void {
  if (worker.isConnected()) worker.send(message);
}
