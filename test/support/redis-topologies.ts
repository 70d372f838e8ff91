import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './free-port';
import { scanKeys } from './test-redis';
import { HANG_GUARD_MS, waitFor } from './wait-for';

/**
 * Real Redis topologies for e2e tests, as child processes on loopback ports: a 3-master Cluster, and a master with a
 * replica watched by one Sentinel. Nothing is persisted; each topology lives in its own temporary directory, and
 * `stop()` kills every process and removes that directory (a process-exit hook is the safety net).
 */

export interface HostPort {
  host: string;
  port: number;
}

const HOST = '127.0.0.1';
const SENTINEL_MASTER_NAME = 'mymaster';
const run = promisify(execFile);

/** A short-lived client for inspecting one node; never retries, so a dead node fails fast. */
export async function withNode<T>(node: HostPort, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ ...node, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

// ---------------------------------------------------------------------------------------------------------------------
// Processes

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** If a test process dies without its afterAll, its Redis servers must not outlive it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

class TopologyProcess {
  private readonly output: string[] = [];
  private readonly exited: Promise<void>;

  constructor(
    readonly node: HostPort,
    private readonly child: ChildProcess,
  ) {
    live.add(child);
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.output.splice(0, Math.max(0, this.output.length - 40));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      const gone = () => {
        live.delete(child);
        resolve();
      };
      child.once('exit', gone);
      // Spawning failed (redis-server not installed): there will be no exit event.
      child.once('error', (error) => {
        this.output.push(error.message);
        gone();
      });
    });
  }

  get running(): boolean {
    return live.has(this.child) && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The server's last log lines, for error messages. */
  tail(): string {
    return this.output.slice(-10).join('\n');
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Starts `redis-server` with the arguments `argsFor(port, secondPort)` gives, on ports that were free a moment ago;
 * when another process took one of them in between, tries again with new ports.
 */
async function startRedisServer(argsFor: (port: number, secondPort: number) => string[]): Promise<TopologyProcess> {
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const [port, secondPort] = await distinctFreePorts(2);
    const server = new TopologyProcess({ host: HOST, port }, spawn('redis-server', argsFor(port, secondPort), { stdio: ['ignore', 'pipe', 'pipe'] }));
    installExitHook();
    try {
      const reply = await waitFor(
        () => (server.running ? withNode(server.node, (redis) => redis.ping()) : Promise.resolve('exited')),
        (answer) => answer === 'PONG' || answer === 'exited',
        { what: `redis-server on port ${port}` },
      );
      if (reply === 'PONG') return server;
      lastFailure = `redis-server exited: ${server.tail()}`;
    } catch (error: unknown) {
      lastFailure = error instanceof Error ? error.message : String(error);
    }
    await server.stop();
  }
  throw new Error(`could not start redis-server: ${lastFailure}`);
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--bind', HOST];

async function stopAll(servers: readonly TopologyProcess[], dir: string): Promise<void> {
  await Promise.allSettled(servers.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------------------
// Cluster

export interface RedisClusterTopology {
  masters: HostPort[];
  /** What the BFF needs to use this cluster. */
  env: { REDIS_CLUSTER_NODES: string };
  /** Runs `work` with a cluster client of the test's own. */
  inspect<T>(work: (redis: Cluster) => Promise<T>): Promise<T>;
  /** Every key under `prefix`, by master port: SCAN run on each master, as a cluster-wide SCAN must be. */
  keysByMaster(prefix: string): Promise<Map<number, string[]>>;
  keys(prefix: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Three masters, no replicas, all 16384 slots assigned by `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisClusterTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'bff-redis-cluster-'));
  const servers: TopologyProcess[] = [];
  try {
    for (let index = 0; index < 3; index += 1) {
      servers.push(
        await startRedisServer((port, busPort) => [
          '--port', String(port),
          '--cluster-enabled', 'yes',
          '--cluster-port', String(busPort),
          '--cluster-config-file', `nodes-${port}.conf`,
          '--cluster-node-timeout', '3000',
          '--dir', dir,
          ...NO_PERSISTENCE,
        ]),
      );
    }
    const masters = servers.map((server) => server.node);
    const addresses = masters.map(({ host, port }) => `${host}:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: HANG_GUARD_MS });
    for (const master of masters) {
      await waitFor(
        () => withNode(master, (redis) => redis.cluster('INFO')),
        (info) =>
          infoField(info, 'cluster_state') === 'ok' &&
          infoField(info, 'cluster_slots_ok') === '16384' &&
          infoField(info, 'cluster_known_nodes') === String(masters.length),
        { what: `cluster_state:ok on ${master.port}` },
      );
    }
    const keysByMaster = async (prefix: string) => {
      const byMaster = new Map<number, string[]>();
      for (const master of masters) byMaster.set(master.port, await withNode(master, (redis) => scanKeys(redis, prefix)));
      return byMaster;
    };
    return {
      masters,
      env: { REDIS_CLUSTER_NODES: addresses.join(',') },
      inspect: async (work) => {
        const cluster = new Cluster(masters, { scaleReads: 'master', clusterRetryStrategy: () => null });
        cluster.on('error', () => undefined);
        try {
          return await work(cluster);
        } finally {
          cluster.disconnect();
        }
      },
      keysByMaster,
      keys: async (prefix) => [...(await keysByMaster(prefix)).values()].flat(),
      stop: () => stopAll(servers, dir),
    };
  } catch (error: unknown) {
    await stopAll(servers, dir);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Sentinel

export interface RedisSentinelTopology {
  /** The data nodes in start order: [0] is the first master, [1] its replica. */
  dataNodes: [HostPort, HostPort];
  sentinel: HostPort;
  masterName: string;
  /** What the BFF needs to use this deployment. */
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /** The master as the Sentinel names it now. */
  currentMaster(): Promise<HostPort>;
  /** Runs `work` with a client of the test's own, connected to the current master. */
  inspect<T>(work: (redis: Redis) => Promise<T>): Promise<T>;
  /** Every key under `prefix` on the current master. */
  keys(prefix: string): Promise<string[]>;
  /** `WAIT 1 <timeoutMs>` on the current master: how many replicas have acknowledged every write so far. */
  waitForReplicas(timeoutMs?: number): Promise<number>;
  /**
   * `SENTINEL FAILOVER`, resolved when the Sentinel announces `+switch-master` (clients are told to move then; it
   * names the promoted replica a little earlier, while it still reconfigures the other nodes).
   */
  failover(): Promise<{ from: HostPort; to: HostPort }>;
  stop(): Promise<void>;
}

/** A master, one replica of it, and one Sentinel (quorum 1) with short failure-detection timeouts. */
export async function startRedisSentinel(): Promise<RedisSentinelTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'bff-redis-sentinel-'));
  const servers: TopologyProcess[] = [];
  // Either data node may become the master: both sync without the default 5 s wait for more replicas.
  const dataNodeArgs = (port: number) => ['--port', String(port), '--dir', dir, '--repl-diskless-sync-delay', '0', ...NO_PERSISTENCE];
  try {
    const master = await startRedisServer((port) => dataNodeArgs(port));
    servers.push(master);
    const replica = await startRedisServer((port) => [...dataNodeArgs(port), '--replicaof', HOST, String(master.node.port)]);
    servers.push(replica);
    await waitFor(
      () => withNode(replica.node, (redis) => redis.info('replication')),
      (info) => infoField(info, 'master_link_status') === 'up',
      { what: 'the replica to sync with its master' },
    );
    const sentinel = await startRedisServer((port) => {
      // Sentinel rewrites its configuration file, so each attempt gets a fresh, writable one.
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} ${HOST} ${master.node.port} 1`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      return [file, '--sentinel'];
    });
    servers.push(sentinel);
    const topology = sentinelTopology(master.node, replica.node, sentinel.node, () => stopAll(servers, dir));
    await waitFor(() => replicaSeenBySentinel(sentinel.node), Boolean, { what: 'the Sentinel to see a healthy replica' });
    return topology;
  } catch (error: unknown) {
    await stopAll(servers, dir);
    throw error;
  }
}

function sentinelTopology(first: HostPort, second: HostPort, sentinel: HostPort, stop: () => Promise<void>): RedisSentinelTopology {
  const currentMaster = async (): Promise<HostPort> => {
    const reply = await withNode(sentinel, (redis) => redis.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME));
    if (!Array.isArray(reply) || typeof reply[0] !== 'string' || typeof reply[1] !== 'string') throw new Error('the Sentinel names no master');
    return { host: reply[0], port: Number(reply[1]) };
  };
  return {
    dataNodes: [first, second],
    sentinel,
    masterName: SENTINEL_MASTER_NAME,
    env: { REDIS_SENTINELS: `${sentinel.host}:${sentinel.port}`, REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME },
    currentMaster,
    inspect: async (work) => withNode(await currentMaster(), work),
    keys: async (prefix) => withNode(await currentMaster(), (redis) => scanKeys(redis, prefix)),
    waitForReplicas: async (timeoutMs = 5000) => {
      const master = await currentMaster();
      return Number(await withNode(master, (redis) => redis.call('WAIT', '1', String(timeoutMs))));
    },
    failover: async () => {
      const from = await currentMaster();
      const to = await withNode(sentinel, async (subscriber) => {
        let announced: string | undefined;
        subscriber.on('message', (_channel: string, message: string) => {
          announced = message;
        });
        await subscriber.subscribe('+switch-master');
        await withNode(sentinel, (redis) => redis.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME));
        const message = await waitFor(() => announced, Boolean, { what: 'the Sentinel to announce +switch-master', intervalMs: 5 });
        // "<name> <old host> <old port> <new host> <new port>"
        const [, , , host = '', port = ''] = (message ?? '').split(' ');
        return { host, port: Number(port) };
      });
      return { from, to };
    },
    stop,
  };
}

/** True when the Sentinel knows a replica it could promote (flags exactly `slave`, link to its master up). */
async function replicaSeenBySentinel(sentinel: HostPort): Promise<boolean> {
  const reply = await withNode(sentinel, (redis) => redis.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME));
  if (!Array.isArray(reply)) return false;
  return reply.some((entry) => {
    if (!Array.isArray(entry)) return false;
    const fields = new Map<unknown, unknown>();
    for (let index = 0; index + 1 < entry.length; index += 2) fields.set(entry[index], entry[index + 1]);
    return fields.get('flags') === 'slave' && fields.get('master-link-status') === 'ok';
  });
}
