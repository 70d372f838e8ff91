import 'reflect-metadata';
import { startApp } from './app';
import { loadAppConfig } from './config/app-config';
import { readEnv } from './config/read-env';
import { ConfigurationError } from './config/configuration.error';

const SHUTDOWN_BACKSTOP_MS = 15_000;

async function main(): Promise<void> {
  const result = loadAppConfig(readEnv());
  if (!result.ok) {
    for (const problem of result.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(1);
  }
  const running = await startApp(result.config);
  process.stdout.write(`BFF listening: browser ${running.browserUrl}, admin ${running.adminUrl}\n`);
  const shutdown = () => {
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
