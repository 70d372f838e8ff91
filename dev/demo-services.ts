import { Client } from 'pg';
import { Redis } from 'ioredis';

/** Creates the demo's database when it is missing; the BFF applies its migrations at start-up. */
export async function ensureDatabase(databaseUrl: string): Promise<'created' | 'exists'> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.href, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error: unknown) {
    throw new Error(`cannot reach Postgres at ${target.host} (${describe(error)}): start it, or set DEMO_DATABASE_URL`, { cause: error });
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return 'exists';
    await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return 'created';
  } finally {
    await client.end();
  }
}

export async function assertRedisReachable(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let socketError: unknown;
  redis.on('error', (error: unknown) => (socketError ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error: unknown) {
    const reason = describe(socketError ?? error);
    throw new Error(`cannot reach Redis at ${new URL(redisUrl).host} (${reason}): start it, or set DEMO_REDIS_URL`, { cause: error });
  } finally {
    redis.disconnect();
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(describe).join(', ');
  return error instanceof Error ? error.message || error.name : String(error);
}
