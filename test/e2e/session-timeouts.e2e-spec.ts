import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { keysUnder, TEST_REDIS_URL } from '../support/test-redis';

// Seconds apart, so that a request slowed by a loaded machine never lands on the wrong side of a timeout: the idle
// test's call comes 1 s into a 3 s idle timeout, and the absolute test's calls keep a gap under 3 s until 5 s.
const IDLE_SECONDS = 3;
const ABSOLUTE_SECONDS = 5;

describe('session idle and absolute timeouts', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack({ SESSION_IDLE_TIMEOUT: String(IDLE_SECONDS), SESSION_ABSOLUTE_TIMEOUT: String(ABSOLUTE_SECONDS) });
  });
  afterAll(async () => {
    await stack.stop();
  });

  const user = (cookie: string) => fetch(`${stack.publicUrl}/auth/user`, { headers: { 'x-csrf': '1', cookie } });

  it('ends a session left idle longer than SESSION_IDLE_TIMEOUT', async () => {
    const cookie = (await stack.signedIn('alice')).cookieHeader(stack.publicUrl) ?? '';
    await sleep(1000);
    expect((await user(cookie)).status).toBe(200);
    await sleep((IDLE_SECONDS + 0.5) * 1000);
    const expired = await user(cookie);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: 'session_expired' });
  });

  it('ends an active session at SESSION_ABSOLUTE_TIMEOUT, and no key of it outlives that', async () => {
    const cookie = (await stack.signedIn('bob')).cookieHeader(stack.publicUrl) ?? '';
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const sessionKeys = (await keysUnder(stack.app.redisPrefix)).filter((key) => /:(s|ix):/.test(key));
      expect(sessionKeys.length).toBeGreaterThan(0);
      for (const key of sessionKeys) {
        const ttl = await redis.pttl(key);
        expect([key, ttl > 0 && ttl <= ABSOLUTE_SECONDS * 1000]).toEqual([key, true]);
      }
      // The session's own absolute expiry, as the BFF reports it: a login slowed by a loaded machine moves nothing.
      const first = await user(cookie);
      expect(first.status).toBe(200);
      const expiresAt = Date.parse(((await first.json()) as { session: { expires_at: string } }).session.expires_at);
      while (Date.now() < expiresAt - 1200) {
        await sleep(1000);
        if (Date.now() < expiresAt - 1000) expect((await user(cookie)).status).toBe(200);
      }
      await sleep(Math.max(0, expiresAt + 500 - Date.now()));
      expect((await user(cookie)).status).toBe(401);
    } finally {
      redis.disconnect();
    }
  });
});
