// First, before anything that needs Node 24 is loaded: an older Node stops here with one line.
import './startup/require-node-version';
import 'reflect-metadata';
import type { Logger } from 'pino';
import { startApp } from './app';
import type { AppConfig, ConfigResult } from './config/app-config';
import { ConfigurationError } from './config/configuration.error';
import { ensureDatabase } from './database/ensure-database';
import { settleHeap } from './memory/settle-heap';
import { bootOnly } from './startup/boot-only';
import { StartupError } from './startup/startup-error';
import { logStartupFailure, startupLogger } from './startup/startup-log';
import { announceListening, isWorker } from './workers/worker-messages';
import { superviseWorkers } from './workers/worker-supervisor';

const SHUTDOWN_BACKSTOP_MS = 15_000;

async function main(): Promise<void> {
  const result = readConfig();
  if (!result.ok) exitWithConfigProblems(result.problems);
  const { config } = result;
  const log = startupLogger(config.log.level);
  try {
    await run(config, log);
  } catch (error: unknown) {
    if (error instanceof ConfigurationError) exitWithConfigProblems(error.problems);
    // One line, never a stack trace: the variable to look at when the failure names one.
    if (error instanceof StartupError) logStartupFailure(log, { variable: error.variable, message: error.message });
    else logStartupFailure(log, { message: `start-up failed: ${error instanceof Error ? error.message : String(error)}` });
    process.exit(1);
  }
}

async function run(config: AppConfig, log: Logger): Promise<void> {
  // Once, in the process that starts first (not in each worker): the database exists, or is created, or we stop here.
  if (!isWorker() && (await ensureDatabase(config.database.url, { create: config.database.migrationsRun })) === 'created') {
    log.info({ variable: 'DATABASE_URL', database: new URL(config.database.url).pathname.slice(1) }, 'created the database');
  }
  if (config.workers.count > 1 && !isWorker()) return superviseWorkers(config);
  const running = await startApp(config);
  settleHeap();
  if (isWorker()) announceListening(running.listening.browser, running.listening.admin);
  else process.stdout.write(`BFF listening: browser ${running.listening.browser}, admin ${running.listening.admin}\n`);
  let stopping = false;
  const shutdown = () => {
    // Once: a worker may be sent SIGINT by the terminal and SIGTERM by its primary.
    if (stopping) return;
    stopping = true;
    // A backstop: should closing Redis or Postgres itself hang, exit anyway, and say so with the code.
    setTimeout(() => process.exit(1), config.shutdown.graceMs + SHUTDOWN_BACKSTOP_MS).unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** The environment (and .env), validated; its schema and zod are forgotten afterwards (boot-only.ts). */
function readConfig(): ConfigResult {
  return bootOnly(
    () => ({
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- required here, so that it can be forgotten
      ...(require('./config/app-config') as typeof import('./config/app-config')),
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- likewise (dotenv)
      ...(require('./config/read-env') as typeof import('./config/read-env')),
    }),
    ({ loadAppConfig, readEnv }) => loadAppConfig(readEnv()),
  );
}

function exitWithConfigProblems(problems: readonly string[]): never {
  for (const problem of problems) process.stderr.write(`config error: ${problem}\n`);
  process.exit(1);
}

void main();
