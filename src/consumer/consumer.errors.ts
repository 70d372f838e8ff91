import { QueryFailedError } from 'typeorm';
import { AppError } from '../common/app.error';

const PG_UNIQUE_VIOLATION = '23505';
const PG_CHECK_VIOLATION = '23514';

export class ConsumerNotFoundError extends AppError {
  constructor() {
    super(404, 'not_found', 'No consumer has that id or username.');
  }
}

/** Rethrows a failed write; uniqueness is enforced by Postgres, not by a racy pre-check; its violations become 409 / 400. */
export function translateWriteError(error: unknown): never {
  if (!(error instanceof QueryFailedError)) throw error;
  const driverError: unknown = error.driverError;
  const code = field(driverError, 'code');
  const constraint = field(driverError, 'constraint') ?? '';
  if (code === PG_UNIQUE_VIOLATION) {
    const which = constraint.includes('custom_id') ? 'custom_id' : 'username';
    throw new AppError(409, 'conflict', `A consumer with that ${which} already exists.`, { details: [{ field: which }] });
  }
  if (code === PG_CHECK_VIOLATION) {
    throw new AppError(400, 'validation_failed', 'A consumer needs a username or a custom_id.');
  }
  throw error;
}

function field(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(name in value)) return undefined;
  const found: unknown = (value as Record<string, unknown>)[name];
  return typeof found === 'string' ? found : undefined;
}
