import pino, { type Logger } from 'pino';

/**
 * The log for what happens before Nest's own logger exists (and when the app never gets that far): the same pino JSON
 * lines as the rest of the log, on stdout, synchronously, so a line written just before `process.exit` is not lost.
 */
export function startupLogger(level: string): Logger {
  return pino({ level }, pino.destination({ dest: 1, sync: true })).child({ context: 'Startup' });
}

/** Why the process could not start, as one fatal line: the variable to look at and the reason, never a stack trace. */
export function logStartupFailure(logger: Logger, failure: { variable?: string; message: string }): void {
  logger.fatal(failure.variable === undefined ? {} : { variable: failure.variable }, failure.message);
}
