import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import type { EchoBody } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { TEST_REDIS_URL } from '../support/test-redis';

interface UserInfo {
  sub: string;
  consumer: { id: string; username: string | null; custom_id: string | null } | null;
}

describe('deleting a consumer, on every instance', () => {
  let fleet: BffFleet;

  beforeAll(async () => {
    fleet = await startBffFleet({ redisEnv: { REDIS_URL: TEST_REDIS_URL } });
  });
  afterAll(async () => {
    await fleet.stop();
  });

  it('stops bearer callers from being injected as it within 2 s, on each instance', async () => {
    const created = await fleet.instances[0].admin('/consumers', { method: 'POST', body: JSON.stringify({ custom_id: 'machine' }) });
    const consumer = (await created.json()) as { id: string };
    const { access_token: token } = await fleet.idp.issueClientCredentialsToken();
    const consumerSeenBy = async (url: string) => {
      const response = await fetch(`${url}/api/jobs`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      return ((await response.json()) as EchoBody).headers['x-consumer-id'];
    };
    for (const url of fleet.urls) expect(await consumerSeenBy(url)).toBe(consumer.id);

    const deleted = await fleet.instances[0].admin(`/consumers/${consumer.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const started = Date.now();
    for (const url of fleet.urls) {
      while ((await consumerSeenBy(url)) !== undefined) expect(Date.now() - started).toBeLessThan(2_000);
    }
  });
});

describe('consumer capture with CONSUMER_AUTO_CREATE', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack(
      { CONSUMER_AUTO_CREATE: 'true', CONSUMER_OPTIONAL: 'false', RATE_LIMIT_LOGIN: 'off' },
      {
        users: [
          // Mallory names himself after the victim's sub, which the BFF has not seen yet.
          { username: 'user-victim', password: 'user-victim-password', sub: 'mallory-sub' },
          { username: 'victim', password: 'victim-password', sub: 'user-victim' },
        ],
      },
    );
  });
  afterAll(async () => {
    await stack.stop();
  });

  const userInfo = async (username: string): Promise<UserInfo> => {
    const browser = await stack.signedIn(username);
    return JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' })).body) as UserInfo;
  };

  it('gives the victim a consumer of its own, not the one named after its sub', async () => {
    const mallory = await userInfo('user-victim');
    expect(mallory.consumer).toMatchObject({ custom_id: 'mallory-sub', username: 'user-victim' });

    const victim = await userInfo('victim');
    expect(victim.sub).toBe('user-victim');
    expect(victim.consumer).toMatchObject({ custom_id: 'user-victim', username: 'victim' });
    expect(victim.consumer?.id).not.toBe(mallory.consumer?.id);

    // No username may read as another consumer's custom_id: Mallory's is suffixed now.
    const renamed = (await (await stack.app.admin(`/consumers/${mallory.consumer?.id ?? ''}`)).json()) as { username: string };
    expect(renamed.username).toMatch(/^user-victim#[\w-]{8}$/);
    // And signing in again finds each their own.
    expect((await userInfo('victim')).consumer?.id).toBe(victim.consumer?.id);
    expect((await userInfo('user-victim')).consumer?.id).toBe(mallory.consumer?.id);
  });
});
