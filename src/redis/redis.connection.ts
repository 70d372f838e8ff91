import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ServiceUnavailableError } from '../common/app.error';
import type { RedisConfig } from '../config/app-config';
import { REDIS_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';

export type RedisClient = Redis | Cluster;

/**
 * The one Redis client of the process (standalone, Sentinel or Cluster). Commands fail fast while Redis is away
 * (no offline queue, a command timeout), so callers can answer 503 instead of hanging; reconnection is automatic.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: RedisClient;
  readonly prefix: string;
  private readonly logger = new Logger('Redis');
  private healthy = true;
  /** The variable an operator checks when the connection fails. */
  private readonly variable: string;

  constructor(
    @Inject(REDIS_CONFIG) config: RedisConfig,
    private readonly metrics: MetricsService,
  ) {
    this.prefix = config.prefix;
    this.variable = config.clusterNodes ? 'REDIS_CLUSTER_NODES' : config.sentinels ? 'REDIS_SENTINELS' : 'REDIS_URL';
    this.client = createRedisClient(config);
    this.client.on('ready', () => {
      if (!this.healthy) this.logger.log('connection restored');
      this.healthy = true;
    });
    this.client.on('error', (error: Error) => {
      if (this.healthy) {
        this.logger.error({ variable: this.variable, reason: error.message }, 'Redis is unreachable; what needs it answers 503 while the connection is retried in the background');
      }
      this.healthy = false;
    });
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** Runs Redis commands; a Redis that is down or slow becomes a 503 for the caller, not a hang or a 500. */
  async run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await operation(this.client);
    } catch (error: unknown) {
      this.metrics.dependencyErrors.inc({ dependency: 'redis' });
      throw new ServiceUnavailableError('redis', error);
    }
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => undefined);
    // After a failover, QUIT leaves a Sentinel client's failover-detector subscriptions open (ioredis 5.11), which keeps
    // the process alive; disconnect() closes those too.
    if (this.client instanceof Redis) this.client.disconnect();
  }
}

/** `lazyConnect` is for tests that look at the options without a server. */
export function createRedisClient(config: RedisConfig, { lazyConnect = false } = {}): RedisClient {
  const timeouts = { commandTimeout: config.commandTimeoutMs, connectTimeout: Math.max(config.commandTimeoutMs, 1000) };
  if (config.clusterNodes) {
    return new Cluster(config.clusterNodes, {
      lazyConnect,
      enableOfflineQueue: false,
      // The vault reads its own writes (refresh fencing, single-use login state): replicas may lag, so never read there.
      scaleReads: 'master',
      clusterRetryStrategy: backoff,
      slotsRefreshTimeout: timeouts.connectTimeout,
      // Per-node connections: ioredis itself keeps their offline queue on and leaves reconnection to slot refreshes.
      redisOptions: { ...timeouts, ...credentialsFrom(config.url) },
    });
  }
  const shared: RedisOptions = { ...timeouts, lazyConnect, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: backoff };
  if (config.sentinels) {
    const credentials = credentialsFrom(config.url);
    return new Redis({
      ...shared,
      ...credentials,
      sentinels: config.sentinels,
      name: config.sentinelName,
      role: 'master',
      // Sentinel leaves the old master accepting writes for several seconds after a failover (until it reconfigures
      // it), and those writes are lost when it resyncs: follow `+switch-master` at once instead of waiting.
      failoverDetector: true,
      sentinelRetryStrategy: backoff,
      sentinelReconnectStrategy: backoff,
      sentinelCommandTimeout: config.commandTimeoutMs,
      // Without this, ioredis would reach a `rediss:` master in clear text.
      enableTLSForSentinelMode: credentials.tls !== undefined,
      reconnectOnError: isReadOnlyError,
    });
  }
  return new Redis(config.url, shared);
}

function backoff(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 2000);
}

/**
 * A node we still hold a connection to was demoted to replica (a failover we did not hear of): reconnect, which asks
 * the Sentinels for the current master. The failed command is not replayed; its request answers 503.
 */
function isReadOnlyError(error: Error): boolean {
  return error.message.includes('READONLY');
}

/** With Sentinel or Cluster, REDIS_URL still carries the user, password and TLS choice of the data nodes. */
function credentialsFrom(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}
