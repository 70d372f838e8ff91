import { Redis } from 'ioredis';

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
