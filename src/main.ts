import 'reflect-metadata';
import { startApp } from './app';
import { loadAppConfig } from './config/app-config';
import { readEnv } from './config/read-env';
import { ConfigurationError } from './config/configuration.error';
import { settleHeap } from './memory/settle-heap';
import { announceListening, isWorker } from './workers/worker-messages';
import { superviseWorkers } from './workers/worker-supervisor';

const SHUTDOWN_BACKSTOP_MS = 15_000;

async function main(): Promise<void> {
  const result = loadAppConfig(readEnv());
  if (!result.ok) {
    for (const problem of result.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(1);
  }
  if (result.config.workers.count > 1 && !isWorker()) return superviseWorkers(result.config);
  const running = await startApp(result.config);
  settleHeap();
  if (isWorker()) announceListening(running.browserUrl, running.adminUrl);
  else process.stdout.write(`BFF listening: browser ${running.browserUrl}, admin ${running.adminUrl}\n`);
  let stopping = false;
  const shutdown = () => {
    // Once: a worker may be sent SIGINT by the terminal and SIGTERM by its primary.
    if (stopping) return;
    stopping = true;
    // A backstop: should closing Redis or Postgres itself hang, exit anyway, and say so with the code.
    setTimeout(() => process.exit(1), result.config.shutdown.graceMs + SHUTDOWN_BACKSTOP_MS).unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigurationError) {
    for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(1);
  }
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
