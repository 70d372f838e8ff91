/**
 * A dependency the process cannot start without, named by the variable that points at it. The message says what is
 * wrong and what to do; it never holds a secret (no password, no full connection URL).
 */
export class StartupError extends Error {
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StartupError';
  }
}
