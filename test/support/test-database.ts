import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const ADMIN_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database per test file, so runs never trample each other or a developer's data. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const database = unusedTestDatabase();
  await withAdminClient((client) => client.query(`CREATE DATABASE "${database.name}"`));
  return database;
}

/** A name no database has yet, and its URL, for tests of what happens when the database is missing. */
export function unusedTestDatabase(user?: string): TestDatabase & { name: string } {
  const name = `bff_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  if (user !== undefined) url.username = user;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

export async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
