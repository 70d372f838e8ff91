import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../config/app-config';
import { createRedisClient } from './redis.connection';

const base: RedisConfig = {
  url: 'redis://127.0.0.1:6379',
  sentinels: undefined,
  sentinelName: 'mymaster',
  clusterNodes: undefined,
  prefix: 'bff:',
  commandTimeoutMs: 2000,
};

describe('createRedisClient', () => {
  it('asks the Sentinels for the master, follows +switch-master at once, and keeps TLS to a rediss master', () => {
    const sut = createRedisClient(
      { ...base, url: 'rediss://:s3cret@ignored:6380', sentinels: [{ host: '10.0.0.1', port: 26379 }], sentinelName: 'vault' },
      { lazyConnect: true },
    );

    expect(sut).toBeInstanceOf(Redis);
    expect(sut.options).toMatchObject({
      sentinels: [{ host: '10.0.0.1', port: 26379 }],
      name: 'vault',
      role: 'master',
      failoverDetector: true,
      enableTLSForSentinelMode: true,
      tls: {},
      password: 's3cret',
      enableOfflineQueue: false,
    });
  });

  it('reconnects when a master it still talks to answers READONLY, and only then', () => {
    const sut = createRedisClient({ ...base, sentinels: [{ host: '10.0.0.1', port: 26379 }] }, { lazyConnect: true });
    const reconnectOnError = (sut as Redis).options.reconnectOnError;

    expect(reconnectOnError?.(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(reconnectOnError?.(new Error('ERR wrong number of arguments'))).toBe(false);
  });

  it('uses the masters of a Cluster for reads too, fails fast while it is down, and gives every node the REDIS_URL password', () => {
    const sut = createRedisClient(
      { ...base, url: 'redis://bff:s3cret@ignored:6379', clusterNodes: [{ host: '10.0.0.1', port: 7000 }] },
      { lazyConnect: true },
    );

    expect(sut).toBeInstanceOf(Cluster);
    expect((sut as Cluster).options).toMatchObject({
      scaleReads: 'master',
      enableOfflineQueue: false,
      redisOptions: { username: 'bff', password: 's3cret', commandTimeout: 2000 },
    });
  });
});
