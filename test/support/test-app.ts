import { startApp, type RunningApp } from '../../src/app';
import { loadAppConfig } from '../../src/config/app-config';
import { createTestDatabase, type TestDatabase } from './test-database';
import { baseEnv, TEST_ADMIN_TOKEN } from './test-env';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from './test-redis';

export interface TestApp extends RunningApp {
  database: TestDatabase;
  redisPrefix: string;
  env: Record<string, string | undefined>;
  admin(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** The real app on ephemeral ports, against a fresh database and its own Redis key prefix. */
export async function startTestApp(overrides: Record<string, string | undefined> = {}, shared?: { database?: TestDatabase }): Promise<TestApp> {
  const database = shared?.database ?? (await createTestDatabase());
  const redisPrefix = overrides['REDIS_PREFIX'] ?? uniqueRedisPrefix();
  const env = baseEnv({ DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix, ...overrides });
  const result = loadAppConfig(env);
  if (!result.ok) throw new Error(`test configuration invalid: ${result.problems.join('; ')}`);
  const running = await startApp(result.config).catch(async (error: unknown) => {
    if (!shared?.database) await database.drop();
    throw error;
  });
  return {
    ...running,
    database,
    redisPrefix,
    env,
    admin: (path, init = {}) =>
      fetch(`${running.adminUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers },
      }),
    stop: async () => {
      await running.close();
      await dropKeysUnder(redisPrefix);
      if (!shared?.database) await database.drop();
    },
  };
}
