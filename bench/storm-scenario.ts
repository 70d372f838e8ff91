import type { Redis } from 'ioredis';
import { freePort } from '../test/support/free-port';
import { readVault } from './fixtures';
import { refreshStorms, SESSION_COOKIE } from './flows';
import type { LoadGenerator } from './load';
import type { BenchOptions } from './options';
import type { Report } from './report';
import { startIdpProcess, type BffTarget } from './targets';

/**
 * Scenario 3, refresh storms: a BFF and IdP of their own (bench/flows.ts has the storm itself).
 */
export async function stormScenario(
  options: BenchOptions,
  generator: LoadGenerator,
  vault: { redis: Redis; prefix: string; encryptionKey: Buffer },
  bare: { url: string; path: string },
  bffEnv: (port: number, adminPort: number, extra?: Record<string, string>) => Record<string, string>,
  launch: (name: string, env: Record<string, string>) => Promise<BffTarget>,
  log: (message: string) => void,
): Promise<NonNullable<Report['storm']>> {
  // A BFF and IdP of their own: a 20 s access token due 15 s before expiry, so a token is due 5 s after it was issued.
  const ttl = 20;
  const skew = 15;
  const port = await freePort();
  const idp = await startIdpProcess({ accessTokenTtlSeconds: ttl, tokenDelayMs: options.idpDelayMs, redirectUris: [`http://127.0.0.1:${port}/auth/callback`] });
  const { redis, prefix, encryptionKey } = vault;
  const bff = await launch('bff-storm', { ...bffEnv(port, await freePort()), OIDC_ISSUER: idp.issuer, TOKEN_REFRESH_SKEW: String(skew) });
  log(`refresh storms (${options.storms} × ${options.stormConcurrency} requests)`);
  try {
    const result = await refreshStorms({
      bffUrl: bff.url,
      bffPid: bff.pid,
      idp,
      dueAfterSeconds: ttl - skew,
      concurrency: options.stormConcurrency,
      storms: options.storms,
      bare,
      refreshTokenOf: async (sessionId) => {
        const { contents } = await readVault(redis, prefix, sessionId, encryptionKey);
        if (!contents.refreshToken) throw new Error('the dev IdP issued no refresh token');
        return contents.refreshToken;
      },
      // A running BFF is warm; this one just started. Two seconds of the same session's calls, before it is due.
      warmUp: (sessionId) =>
        generator.run({ url: `${bff.url}/api/orders/42`, headers: { cookie: `${SESSION_COOKIE}=${sessionId}`, 'x-csrf': '1' }, connections: 32, seconds: 2 }).then(() => undefined),
    });
    return { ...result, concurrency: options.stormConcurrency };
  } finally {
    await bff.stop();
    await idp.stop();
  }
}
