import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import { issueBoundToken, requestWithProofs } from '../support/dpop-client';
import { newDpopHolder, proofFor, type DpopHolder } from '../support/dpop-proofs';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { Redis } from 'ioredis';
import { KEY_LAYOUT } from '../support/scale-out-behaviour';
import { keysUnder, TEST_REDIS_URL } from '../support/test-redis';

const FAILURES_ALLOWED = 3;

describe('DPoP proofs across two instances sharing one Redis', () => {
  let upstream: EchoUpstream;
  let fleet: BffFleet;
  let holder: DpopHolder;
  let redis: Redis;

  beforeAll(async () => {
    [upstream, holder] = await Promise.all([startEchoUpstream(), newDpopHolder()]);
    redis = new Redis(TEST_REDIS_URL);
    const routesFile = join(tmpdir(), `bff-dpop-fleet-${randomUUID()}.yaml`);
    writeFileSync(routesFile, `routes:\n  - { path: /orders, upstream: "${upstream.url}", auth: bearer, dpop: required }\n`);
    fleet = await startBffFleet({
      redisEnv: { REDIS_URL: TEST_REDIS_URL },
      env: { ROUTES_FILE: routesFile, RATE_LIMIT_CREDENTIAL_FAILURES: `${FAILURES_ALLOWED}/60` },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
    await upstream?.stop();
    redis?.disconnect();
  });

  const boundToken = async () => (await issueBoundToken(fleet.idp.issuer, holder, { scope: 'orders:read' })).access_token;
  /** The proof names PUBLIC_URL, whichever instance the load balancer sends the request to. */
  const proofOf = (path: string, token: string) => proofFor(holder, { method: 'GET', url: `${fleet.publicUrl}${path}`, accessToken: token });
  const callOn = (instance: number, path: string, token: string, proof: string) =>
    requestWithProofs(`${fleet.urls[instance]}${path}`, { authorization: `DPoP ${token}`, proofs: [proof] });

  it('refuses a proof replayed on the other instance, and keeps its jti under the BFF\'s prefix, hashed', async () => {
    const token = await boundToken();
    const path = `/orders/${randomUUID()}`;
    const proof = await proofOf(path, token);
    expect((await callOn(0, path, token, proof)).status).toBe(200);
    const replayed = await callOn(1, path, token, proof);
    expect(replayed.status).toBe(401);
    expect(replayed.headers['www-authenticate']).toMatch(/^DPoP error="invalid_dpop_proof", algs="/);
    expect(JSON.parse(replayed.body)).toMatchObject({ error: 'invalid_dpop_proof', message: expect.stringContaining('jti') as unknown });
    expect(upstream.requests.filter((request) => request.url.endsWith(path.slice('/orders'.length)))).toHaveLength(1);
    const jtiKeys = await keysUnder(`${fleet.redisPrefix}dpop-jti:`);
    expect(jtiKeys.length).toBeGreaterThan(0);
    const layout = KEY_LAYOUT.find(([name]) => name === 'DPoP proof jti')?.[1];
    for (const key of jtiKeys) {
      expect(key.slice(fleet.redisPrefix.length)).toMatch(layout ?? /^$/);
      // Remembered while a proof with that iat could still pass: 60 s either way, and 5 s of skew between instances.
      expect(await redis.pttl(key)).toBeLessThanOrEqual(125_000);
    }
    // A fresh proof of the same token still passes on either instance.
    expect((await callOn(1, path, token, await proofOf(path, token))).status).toBe(200);
  });

  it('counts failed proofs against the address on every instance, like other failed credentials', async () => {
    const token = await boundToken();
    for (let failure = 0; failure < FAILURES_ALLOWED; failure += 1) {
      const stale = await proofFor(holder, { method: 'GET', url: `${fleet.publicUrl}/orders/x`, accessToken: token, iat: Math.floor(Date.now() / 1000) - 120 });
      expect((await callOn(failure % 2, '/orders/x', token, stale)).status).toBe(401);
    }
    // Locked out: a token this address never used successfully is refused before anything is checked.
    const newcomer = await boundToken();
    const locked = await callOn(1, '/orders/x', newcomer, await proofOf('/orders/x', newcomer));
    expect(locked.status).toBe(429);
  });
});
