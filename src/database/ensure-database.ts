import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { StartupError } from '../startup/startup-error';
import { isDatabaseUnavailable } from './database-errors';

const CONNECT_TIMEOUT_MS = 5_000;
// Postgres may still be starting beside us (compose, a pod's neighbour): a few quiet tries before giving up.
const ATTEMPTS = 3;
const RETRY_DELAY_MS = 1_000;
// SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html)
const INVALID_CATALOG_NAME = '3D000';
const INSUFFICIENT_PRIVILEGE = '42501';
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';
const MAINTENANCE_DATABASES = ['postgres', 'template1'];

export interface EnsureDatabaseOptions {
  /** Create the database when it is missing (the BFF owns its schema: DB_MIGRATIONS_RUN=true). */
  create: boolean;
  /** The variable that holds the URL, named in every failure. */
  variable?: string;
}

/**
 * Start-up check of DATABASE_URL: the database answers, or it is created when missing and the role may create it
 * (as `createdb` would), or a StartupError says what to run. Several instances starting at once are safe: a database
 * another one created a moment earlier counts as found.
 */
export async function ensureDatabase(url: string, { create, variable = 'DATABASE_URL' }: EnsureDatabaseOptions): Promise<'exists' | 'created'> {
  const target = describeTarget(url);
  const missing = await connectWithRetries(url, (error) => cannotConnect(target, variable, error));
  if (!missing) return 'exists';
  if (!create) {
    throw new StartupError(variable, `database "${target.name}" does not exist: create it (${target.createCommand}), then apply the migrations with npm run migration:run, or set DB_MIGRATIONS_RUN=true to let the BFF do both`);
  }
  try {
    await withMaintenanceClient(url, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(target.name)}`));
    return 'created';
  } catch (error: unknown) {
    const code = sqlState(error);
    if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return 'exists';
    if (code === INSUFFICIENT_PRIVILEGE) {
      throw new StartupError(variable, `database "${target.name}" does not exist and user "${target.user}" may not create it: create it (${target.createCommand}) or point ${variable} at an existing database`, { cause: error });
    }
    throw cannotConnect(target, variable, error);
  }
}

/** True when the server answers but the database is missing; throws when the server cannot be used. */
async function connectWithRetries(url: string, failure: (error: unknown) => Error): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await withClient(url, (client) => client.query('SELECT 1'));
      return false;
    } catch (error: unknown) {
      if (sqlState(error) === INVALID_CATALOG_NAME) return true;
      if (attempt >= ATTEMPTS || !isDatabaseUnavailable(error)) throw failure(error);
      await sleep(RETRY_DELAY_MS);
    }
  }
}

async function withMaintenanceClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (const name of MAINTENANCE_DATABASES) {
    const maintenance = new URL(url);
    maintenance.pathname = `/${name}`;
    try {
      return await withClient(maintenance.href, work);
    } catch (error: unknown) {
      // A server without a `postgres` database still has template1.
      if (sqlState(error) !== INVALID_CATALOG_NAME) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection error after connect() resolved (the server going away) must not become an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Target {
  name: string;
  user: string;
  where: string;
  createCommand: string;
}

/** What a message may say about the URL: host, port, user and database, never the password. */
function describeTarget(url: string): Target {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1)) || 'postgres';
  const user = decodeURIComponent(parsed.username) || 'postgres';
  const host = parsed.hostname || 'localhost';
  const port = parsed.port || '5432';
  return { name, user, where: `${host}:${port}`, createCommand: `createdb -h ${host} -p ${port} -U ${user} ${name}` };
}

function cannotConnect(target: Target, variable: string, error: unknown): StartupError {
  return new StartupError(variable, `cannot use Postgres at ${target.where} as user "${target.user}", database "${target.name}": ${describeError(error)}`, { cause: error });
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** node-postgres's own message, or each of Node's dual-stack connect errors (an AggregateError with an empty message). */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(describeError).join(', ');
  return error instanceof Error ? error.message || error.name : String(error);
}
