import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import { startRedisCluster, type RedisClusterTopology } from '../support/redis-topologies';
import { behavesAsOneBffAcrossInstances, REFRESH_SKEW_SECONDS, TOKEN_TTL_SECONDS } from '../support/scale-out-behaviour';

describe('two BFF instances on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterTopology | undefined;
  let fleet: BffFleet | undefined;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    fleet = await startBffFleet({
      redisEnv: cluster.env,
      accessTokenTtlSeconds: TOKEN_TTL_SECONDS,
      refreshSkewSeconds: REFRESH_SKEW_SECONDS,
    });
  });

  afterAll(async () => {
    try {
      await fleet?.stop();
    } finally {
      await cluster?.stop();
    }
  });

  behavesAsOneBffAcrossInstances(() => ({
    fleet: fleet!,
    keys: (prefix) => cluster!.keys(prefix),
    pttl: (key) => cluster!.inspect((redis) => redis.pttl(key)),
  }));

  it('keeps each session\'s keys in one slot and spreads the vault over the masters', async () => {
    await Promise.all(['alice', 'bob', 'carol', 'alice'].map((user, index) => fleet!.signedIn(user, index % 2)));
    const byMaster = await cluster!.keysByMaster(fleet!.redisPrefix);
    const sessions = [...byMaster.values()].flat().filter((key) => /s:\{[\w-]{43}\}$/.test(key));

    expect(sessions.length).toBeGreaterThanOrEqual(4);
    expect([...byMaster.values()].filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
    const slots = await cluster!.inspect((redis) =>
      Promise.all(
        sessions.map(async (key) => {
          const related = [key, `${key}:revoked`, `${key}:refresh-lock`];
          return new Set(await Promise.all(related.map((name) => redis.cluster('KEYSLOT', name)))).size;
        }),
      ),
    );
    expect(slots.every((distinct) => distinct === 1)).toBe(true);
  });
});
