import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import type { DevIdpUser } from '../../dev/idp/idp-users';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import { onFreePort } from './free-port';
import { startTestApp, type TestApp } from './test-app';
import { TestBrowser } from './test-browser';
import { createTestDatabase, type TestDatabase } from './test-database';
import { randomKey } from './test-env';
import { uniqueRedisPrefix } from './test-redis';
import { waitFor } from './wait-for';

export interface BffFleetOptions {
  /** The Redis deployment's variables (`REDIS_CLUSTER_NODES`, or `REDIS_SENTINELS` and `REDIS_SENTINEL_NAME`). */
  redisEnv: Record<string, string>;
  instances?: number;
  accessTokenTtlSeconds?: number;
  refreshSkewSeconds?: number;
  /** Users added to alice, bob and carol; sign them in with the password `<username>-password`. */
  users?: DevIdpUser[];
  /** More variables for every instance (they win over the fleet's own). */
  env?: Record<string, string>;
}

export interface BffFleet {
  idp: DevIdp;
  upstream: EchoUpstream;
  /** BFF instances behind one origin: one Redis deployment, key prefix, encryption key and database. */
  instances: TestApp[];
  /** The origin registered at the IdP (instance 0 listens there, and takes every login callback). */
  publicUrl: string;
  /** Each instance's own browser-facing URL, as a load balancer would reach it. */
  urls: string[];
  redisPrefix: string;
  browser(): TestBrowser;
  /** A browser signed in as `username`, starting the login at instance `via` (the callback lands on instance 0). */
  signedIn(username: string, via?: number): Promise<TestBrowser>;
  stop(): Promise<void>;
}

/**
 * Several BFF instances as they run behind a load balancer. The test browser's cookie jar ignores ports, as browsers
 * do, so one session cookie reaches every instance: that is the load balancer.
 */
export function startBffFleet(options: BffFleetOptions): Promise<BffFleet> {
  return onFreePort((port) => startFleetOn(port, options));
}

async function startFleetOn(port: number, options: BffFleetOptions): Promise<BffFleet> {
  const publicUrl = `http://127.0.0.1:${port}`;
  const redisPrefix = uniqueRedisPrefix();
  const started: { idp?: DevIdp; upstream?: EchoUpstream; database?: TestDatabase; instances: TestApp[] } = { instances: [] };
  const stop = () => stopFleet(started);
  try {
    started.idp = await startDevIdp({
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      redirectUris: [`${publicUrl}/auth/callback`],
      postLogoutRedirectUris: [`${publicUrl}/`],
      backchannelLogoutUri: `${publicUrl}/auth/backchannel-logout`,
      users: options.users,
    });
    started.upstream = await startEchoUpstream();
    started.database = await createTestDatabase();
    const env = {
      PUBLIC_URL: publicUrl,
      OIDC_ISSUER: started.idp.issuer,
      OIDC_CLIENT_ID: started.idp.clientId,
      OIDC_CLIENT_SECRET: started.idp.clientSecret,
      CONSUMER_OPTIONAL: 'true',
      UPSTREAM_URL: started.upstream.url,
      TOKEN_ENCRYPTION_KEYS: randomKey(),
      // Every test user comes from 127.0.0.1: the per-address login limit is not what these tests are about.
      RATE_LIMIT_LOGIN: '1000/60',
      REDIS_PREFIX: redisPrefix,
      ...(options.refreshSkewSeconds === undefined ? {} : { TOKEN_REFRESH_SKEW: String(options.refreshSkewSeconds) }),
      ...options.redisEnv,
      ...options.env,
    };
    for (let index = 0; index < (options.instances ?? 2); index += 1) {
      // One at a time: the first applies the migrations, the others find them done.
      const instance = await startTestApp({ ...env, PORT: index === 0 ? String(port) : '0' }, { database: started.database });
      started.instances.push(instance);
      await waitFor(async () => (await instance.admin('/readyz')).status, (status) => status === 200, { what: `instance ${index} to be ready` });
    }
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  const { idp, upstream, instances } = started;
  const urls = instances.map((instance) => instance.browserUrl);
  return {
    idp,
    upstream,
    instances,
    publicUrl,
    urls,
    redisPrefix,
    browser: () => new TestBrowser(),
    signedIn: async (username, via = 0) => {
      const browser = new TestBrowser();
      const login = await browser.loginWithForm(`${urls[via]}/auth/login?returnTo=%2F`, username, `${username}-password`);
      if (!browser.cookies(publicUrl)['bff-session']) {
        throw new Error(`login as ${username} via instance ${via} failed: ${login.visited.join(' -> ')} ended with ${login.response.status}`);
      }
      return browser;
    },
    stop,
  };
}

/** Stops whatever was started, all of it even when a part fails, then reports the failures. */
async function stopFleet(started: { idp?: DevIdp; upstream?: EchoUpstream; database?: TestDatabase; instances: TestApp[] }): Promise<void> {
  const results = await Promise.allSettled([
    ...started.instances.map((instance) => instance.stop()),
    started.idp?.stop(),
    started.upstream?.stop(),
  ]);
  results.push(...(await Promise.allSettled([started.database?.drop()])));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) throw new AggregateError(failures, 'stopping the BFF fleet failed');
}
