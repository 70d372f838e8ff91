import { setTimeout as sleep } from 'node:timers/promises';
import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import { infoField, startRedisSentinel, withNode, type RedisSentinelTopology } from '../support/redis-topologies';
import { behavesAsOneBffAcrossInstances, callVia, REFRESH_SKEW_SECONDS, TOKEN_TTL_SECONDS } from '../support/scale-out-behaviour';
import type { TestBrowser } from '../support/test-browser';
import { waitFor } from '../support/wait-for';

const FAILOVER_USERS = Array.from({ length: 6 }, (_, index) => ({ username: `failover-${index}`, password: `failover-${index}-password` }));

describe('two BFF instances on Redis Sentinel (a master, its replica, one Sentinel)', () => {
  let sentinel: RedisSentinelTopology | undefined;
  let fleet: BffFleet | undefined;

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    fleet = await startBffFleet({
      redisEnv: sentinel.env,
      accessTokenTtlSeconds: TOKEN_TTL_SECONDS,
      refreshSkewSeconds: REFRESH_SKEW_SECONDS,
      users: FAILOVER_USERS,
    });
  });

  afterAll(async () => {
    try {
      await fleet?.stop();
    } finally {
      await sentinel?.stop();
    }
  });

  behavesAsOneBffAcrossInstances(() => ({
    fleet: fleet!,
    keys: (prefix) => sentinel!.keys(prefix),
    pttl: (key) => sentinel!.inspect((redis) => redis.pttl(key)),
  }));

  /**
   * "Acknowledged" here: the BFF answered the login, and the write had reached the replica (the test's own `WAIT`)
   * before the failover began — or it was made after the Sentinel named the new master. Redis replicates
   * asynchronously, so a write the old master took in the moment before the switch can be lost; see README.
   */
  it('keeps every acknowledged session through a Sentinel failover, and follows the new master by itself', async () => {
    const deployment = sentinel!;
    const bff = fleet!;
    const [firstUsers, laterUsers] = [FAILOVER_USERS.slice(0, 4), FAILOVER_USERS.slice(4)];
    const before = await Promise.all(firstUsers.map(({ username }, index) => bff.signedIn(username, index % 2)));
    for (const [index, browser] of before.entries()) expect((await callVia(bff, browser, (index + 1) % 2, '/api/before')).status).toBe(200);
    expect(await deployment.waitForReplicas()).toBe(1);

    const traffic = keepCalling(bff, before);
    const { from, to } = await deployment.failover();
    expect(to.port).toBe(deployment.dataNodes[1].port);

    // Until the Sentinel demotes it, the old master still takes writes that its resync will then discard: logins
    // now must land on the new master. (A login may meet the instance while it reconnects: 503, and it tries again.)
    const during: TestBrowser[] = [];
    for (const [index, { username }] of laterUsers.entries()) {
      during.push(await waitFor(() => bff.signedIn(username, index % 2), Boolean, { what: `${username} to log in`, intervalMs: 250 }));
    }
    await waitFor(
      () => withNode(from, (redis) => redis.info('replication')),
      (info) => infoField(info, 'role') === 'slave' && infoField(info, 'master_link_status') === 'up',
      { what: 'the old master to resync as a replica of the new one', intervalMs: 200 },
    );
    const statuses = await traffic.stop();

    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(statuses).toContain(200);
    for (const [index, browser] of [...before, ...during].entries()) {
      for (const instance of [0, 1]) {
        const answer = await waitFor(() => callVia(bff, browser, instance, `/api/after/${index}`), (reply) => reply.status !== 503, {
          what: `session ${index} on instance ${instance}`,
        });
        expect([index, instance, answer.status]).toEqual([index, instance, 200]);
      }
    }
    const sessionsOnNewMaster = (await deployment.keys(bff.redisPrefix)).filter((key) => /s:\{[\w-]{43}\}$/.test(key));
    expect(sessionsOnNewMaster.length).toBeGreaterThanOrEqual(before.length + during.length);
  });
});

/** `/auth/user` for each session in turn, alternating instances, until stopped; every status seen (-1: no answer). */
function keepCalling(fleet: BffFleet, browsers: readonly TestBrowser[]): { stop(): Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let round = 0; running; round += 1) {
      for (const [index, browser] of browsers.entries()) {
        const url = `${fleet.urls[(round + index) % 2]}/auth/user`;
        statuses.push(await browser.get(url, { 'x-csrf': '1' }).then((response) => response.status, () => -1));
      }
      await sleep(25);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return statuses;
    },
  };
}
