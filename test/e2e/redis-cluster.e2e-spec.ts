import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MACHINE_CLIENT_ID } from '../../dev/idp/idp-clients';
import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import { startRedisCluster, type RedisClusterTopology } from '../support/redis-topologies';
import { behavesAsOneBffAcrossInstances, REFRESH_SKEW_SECONDS, TOKEN_TTL_SECONDS } from '../support/scale-out-behaviour';
import { openWebSocket, opened } from '../support/websocket-client';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

describe('two BFF instances on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterTopology | undefined;
  let fleet: BffFleet | undefined;
  let sockets: WebSocketUpstream | undefined;
  const routesFile = join(tmpdir(), `bff-cluster-routes-${randomBytes(4).toString('hex')}.yaml`);

  beforeAll(async () => {
    cluster = await startRedisCluster();
    sockets = await startWebSocketUpstream();
    writeFileSync(routesFile, `routes:\n  - { path: /live, upstream: "${sockets.url}" }\n`);
    fleet = await startBffFleet({
      redisEnv: cluster.env,
      accessTokenTtlSeconds: TOKEN_TTL_SECONDS,
      refreshSkewSeconds: REFRESH_SKEW_SECONDS,
      env: { ROUTES_FILE: routesFile },
    });
  });

  afterAll(async () => {
    try {
      await fleet?.stop();
      await sockets?.stop();
    } finally {
      await cluster?.stop();
      rmSync(routesFile, { force: true });
    }
  });

  behavesAsOneBffAcrossInstances(() => ({
    fleet: fleet!,
    keys: (prefix) => cluster!.keys(prefix),
    pttl: (key) => cluster!.inspect((redis) => redis.pttl(key)),
  }));

  it('closes a bearer socket on the other instance within 2 s of its consumer\'s deletion, with no pub/sub to hear it', async () => {
    const created = await fleet!.instances[0].admin('/consumers', { method: 'POST', body: JSON.stringify({ custom_id: MACHINE_CLIENT_ID }) });
    const consumer = (await created.json()) as { id: string };
    const { access_token: token } = await fleet!.idp.issueClientCredentialsToken();
    const { closed } = opened(await openWebSocket(`${fleet!.urls[1]}/live/feed`, { headers: { authorization: `Bearer ${token}` } }));

    const deletedAt = performance.now();
    expect((await fleet!.instances[0].admin(`/consumers/${consumer.id}`, { method: 'DELETE' })).status).toBe(204);

    const close = await closed;
    expect(close).toMatchObject({ code: 1008, reason: 'consumer_deleted' });
    expect(close.at - deletedAt).toBeLessThan(2_000);
  });

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
