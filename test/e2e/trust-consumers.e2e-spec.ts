import { startBffFleet, type BffFleet } from '../support/bff-fleet';
import type { EchoBody } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
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

  it('gives the victim a consumer of its own, not the one named after its sub, and renames nobody', async () => {
    const mallory = await userInfo('user-victim');
    expect(mallory.consumer).toMatchObject({ custom_id: 'mallory-sub', username: 'user-victim' });
    const before = await (await stack.app.admin(`/consumers/${mallory.consumer?.id ?? ''}`)).json();

    const victim = await userInfo('victim');
    expect(victim.sub).toBe('user-victim');
    expect(victim.consumer).toMatchObject({ custom_id: 'user-victim', username: 'victim' });
    expect(victim.consumer?.id).not.toBe(mallory.consumer?.id);

    // A first login never renames an existing consumer: an operator's scripts and dashboards keep their names.
    expect(await (await stack.app.admin(`/consumers/${mallory.consumer?.id ?? ''}`)).json()).toEqual(before);
    // And signing in again finds each their own.
    expect((await userInfo('victim')).consumer?.id).toBe(victim.consumer?.id);
    expect((await userInfo('user-victim')).consumer?.id).toBe(mallory.consumer?.id);
  });
});

describe('anonymous callers are labelled (ANONYMOUS_CONSUMER)', () => {
  let stack: ProxyStack;
  let anonymous: { id: string };

  beforeAll(async () => {
    stack = await startProxyStack({ ANONYMOUS_CONSUMER: 'guest', CONSUMER_OPTIONAL: 'false' });
    anonymous = (await (await stack.app.admin('/consumers', { method: 'POST', body: JSON.stringify({ username: 'guest' }) })).json()) as { id: string };
    expect((await stack.app.admin('/consumers', { method: 'POST', body: JSON.stringify({ custom_id: 'user-bob' }) })).status).toBe(201);
  });
  afterAll(async () => {
    await stack.stop();
  });

  const headersSeen = async (response: Response | { body: string }) =>
    ((response instanceof Response ? await response.json() : JSON.parse(response.body)) as EchoBody).headers;

  it('tells the upstream X-Anonymous-Consumer: true for a browser session mapped to it', async () => {
    const alice = await stack.signedIn('alice');
    const headers = await headersSeen(await alice.get(`${stack.publicUrl}/api/whoami`, { 'x-csrf': '1' }));
    expect(headers).toMatchObject({ 'x-consumer-id': anonymous.id, 'x-consumer-username': 'guest', 'x-anonymous-consumer': 'true' });
  });

  it('tells it the same for a bearer caller mapped to it', async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken();
    const headers = await headersSeen(await fetch(`${stack.publicUrl}/api/whoami`, { headers: { authorization: `Bearer ${token}` } }));
    expect(headers).toMatchObject({ 'x-consumer-id': anonymous.id, 'x-anonymous-consumer': 'true' });
  });

  it('never labels a caller mapped to a consumer of its own, whatever it sends', async () => {
    const bob = await stack.signedIn('bob');
    const headers = await headersSeen(await bob.get(`${stack.publicUrl}/api/whoami`, { 'x-csrf': '1', 'x-anonymous-consumer': 'true', X_Anonymous_Consumer: 'true' }));
    expect(headers['x-consumer-custom-id']).toBe('user-bob');
    expect(headers['x-anonymous-consumer']).toBeUndefined();
  });
});
