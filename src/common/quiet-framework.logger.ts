import type { LoggerService } from '@nestjs/common';
import { Logger, PinoLogger } from 'nestjs-pino';
import { loggerOptions } from './logger.options';

// Nest's own start-up chatter: a line per module, controller and route (about 45 of them), useful only when debugging.
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * Passes everything on, except that Nest's own informational start-up lines are written at `debug`, and so is the
 * stack trace Nest's ExceptionHandler prints for a start-up failure: the app is created with `abortOnError: false`,
 * so that error reaches the caller, which reports it (main.ts: one line).
 */
export class QuietFrameworkLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) this.debug(message, ...optionalParams);
    else this.inner.log(message, ...optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    if (optionalParams.at(-1) === 'ExceptionHandler') this.debug(message, ...optionalParams);
    else this.inner.error(message, ...optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.warn(message, ...optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.debug?.(message, ...optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.verbose?.(message, ...optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.fatal?.(message, ...optionalParams);
  }
}

/** The app's own pino logger for Nest, so that even a failing start-up logs JSON. */
export function frameworkLogger(level: string): QuietFrameworkLogger {
  const params = loggerOptions(level);
  return new QuietFrameworkLogger(new Logger(new PinoLogger(params), params));
}
