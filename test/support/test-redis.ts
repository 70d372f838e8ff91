import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own per test file; `drop` deletes every key under it. */
export function uniqueRedisPrefix(): string {
  return `bfftest:${randomBytes(6).toString('hex')}:`;
}

export async function keysUnder(prefix: string, url = TEST_REDIS_URL): Promise<string[]> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    return await scanKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Every key under `prefix` on one node (SCAN, so a large keyspace is not blocked). */
export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

export async function dropKeysUnder(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const keys = await keysUnder(prefix, url);
  if (keys.length === 0) return;
  const redis = new Redis(url);
  try {
    for (let index = 0; index < keys.length; index += 500) await redis.unlink(...keys.slice(index, index + 500));
  } finally {
    redis.disconnect();
  }
}
