/**
 * A failure with a stable machine-readable code. Modules throw these; the exception filter turns them into the
 * contract's JSON shape. `message` is shown to the client, so it never carries a secret or a token.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: {
      details?: readonly unknown[];
      headers?: Readonly<Record<string, string>>;
      body?: Readonly<Record<string, unknown>>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
  }
}

const DEPENDENCY_NAMES = { redis: 'Redis', postgres: 'Postgres', idp: 'The identity provider' } as const;

export class ServiceUnavailableError extends AppError {
  constructor(dependency: keyof typeof DEPENDENCY_NAMES, cause?: unknown) {
    super(503, `${dependency}_unavailable`, `${DEPENDENCY_NAMES[dependency]} is unreachable; try again shortly.`, {
      cause,
      headers: { 'retry-after': '5' },
    });
  }
}
