import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';

/** What workers and the primary tell each other over the cluster's IPC channel (WORKERS > 1). */
export type WorkerMessage =
  | { type: 'bff:listening'; browserUrl: string; adminUrl: string }
  | { type: 'bff:metrics-request'; id: string }
  | { type: 'bff:metrics'; id: string; text?: string; error?: string };

const METRICS_TIMEOUT_MS = 5_000;

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return typeof message === 'object' && message !== null && 'type' in message && typeof message.type === 'string' && message.type.startsWith('bff:');
}

/** True in a process forked by the WORKERS supervisor. */
export function isWorker(): boolean {
  return cluster.isWorker;
}

/** A worker tells the primary it serves; the primary prints the one "BFF listening" line once all of them do. */
export function announceListening(browserUrl: string, adminUrl: string): void {
  const message: WorkerMessage = { type: 'bff:listening', browserUrl, adminUrl };
  process.send?.(message);
}

/** Every worker's metrics summed by the primary, as Prometheus text (a scrape reaches one worker, it reports them all). */
export function clusterMetrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = randomUUID();
    const timer = setTimeout(() => finish(new Error('the primary did not answer the metrics request')), METRICS_TIMEOUT_MS);
    const onMessage = (message: unknown) => {
      if (!isWorkerMessage(message) || message.type !== 'bff:metrics' || message.id !== id) return;
      finish(message.error === undefined ? undefined : new Error(message.error), message.text);
    };
    const finish = (error?: Error, text?: string) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (error || text === undefined) reject(error ?? new Error('empty metrics answer'));
      else resolve(text);
    };
    process.on('message', onMessage);
    const request: WorkerMessage = { type: 'bff:metrics-request', id };
    process.send?.(request);
  });
}
