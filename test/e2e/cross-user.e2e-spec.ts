import { setTimeout as sleep } from 'node:timers/promises';
import type { EchoBody } from '../support/echo-upstream';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { startTestApp, type TestApp } from '../support/test-app';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
const USERS = Array.from({ length: 10 }, (_, index) => ({
  username: `member${index}`,
  password: `member${index}-password`,
  groups: [`team-${index}`],
}));
// Access tokens live 3 s and are refreshed when they expire within 2 s: every session refreshes about once a second.
const TOKEN_TTL_SECONDS = 3;
const CALLS_PER_USER_PER_ROUND = 6;
// The run goes on until it has seen this much, however long a loaded machine takes (not for a fixed time).
const ENOUGH_CALLS = USERS.length * CALLS_PER_USER_PER_ROUND * 5;
const ENOUGH_REFRESHES = USERS.length * 2;
const ROUNDS_AFTER_SECOND_WAVE = 2;
const MAX_ROUNDS = 500;

interface Holder {
  username: string;
  sub: string;
  browser: TestBrowser;
}

function subjectOf(authorization: unknown): unknown {
  const token = String(authorization).replace(/^Bearer /, '');
  return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown }).sub;
}

describe('one user’s cookie never yields another user’s tokens', () => {
  let stack: ProxyStack;
  let second: TestApp;

  beforeAll(async () => {
    stack = await startProxyStack(
      { TOKEN_REFRESH_SKEW: String(TOKEN_TTL_SECONDS - 1), RATE_LIMIT_LOGIN: 'off' },
      { accessTokenTtlSeconds: TOKEN_TTL_SECONDS, users: USERS },
    );
    second = await startTestApp({ ...stack.app.env, PORT: '0' }, { database: stack.app.database });
    // Half of them are consumers, so the identity headers are checked too.
    for (const user of USERS.filter((_, index) => index % 2 === 0)) {
      await stack.app.admin('/consumers', { method: 'POST', body: JSON.stringify({ username: user.username, custom_id: `user-${user.username}` }) });
    }
  });
  afterAll(async () => {
    await second.close();
    await stack.stop();
  });

  const signInAll = () =>
    Promise.all(USERS.map(async (user) => ({ username: user.username, sub: `user-${user.username}`, browser: await stack.signedIn(user.username) })));

  it('signs ten users in at once and gives each cookie its own user', async () => {
    const holders = await signInAll();
    const cookies = new Set(holders.map((holder) => holder.browser.cookies(stack.publicUrl)['bff-session']));
    expect(cookies.size).toBe(USERS.length);
    const users = await Promise.all(holders.map(async (holder) => JSON.parse((await holder.browser.get(`${stack.publicUrl}/auth/user`, CSRF)).body) as { sub: string }));
    expect(users.map((user) => user.sub)).toEqual(holders.map((holder) => holder.sub));
  });

  it('sends every upstream call with the cookie owner’s token through concurrent logins and refreshes, on two instances', async () => {
    const pool: Holder[] = await signInAll();
    stack.idp.resetCounters();
    const tokenOwners = new Map<string, unknown>();
    const mismatches: string[] = [];
    let calls = 0;

    const call = async (holder: Holder, index: number): Promise<void> => {
      const base = index % 2 === 0 ? stack.publicUrl : second.browserUrl;
      const response = await fetch(`${base}/api/whoami?caller=${holder.username}`, {
        headers: { ...CSRF, cookie: holder.browser.cookieHeader(stack.publicUrl) ?? '' },
      });
      calls += 1;
      if (response.status !== 200) {
        mismatches.push(`${holder.username}: status ${response.status} ${await response.text()}`);
        return;
      }
      const { headers, query } = (await response.json()) as EchoBody;
      const bearer = String(headers['authorization']);
      const owner = tokenOwners.get(bearer) ?? subjectOf(bearer);
      tokenOwners.set(bearer, owner);
      const seen = {
        sub: subjectOf(bearer),
        owner,
        credential: headers['x-credential-identifier'],
        groups: headers['x-authenticated-groups'],
        consumer: headers['x-consumer-username'],
        caller: query['caller'],
      };
      const index_ = Number(holder.username.replace('member', ''));
      const expected = {
        sub: holder.sub,
        owner: holder.sub,
        credential: holder.sub,
        groups: `team-${index_}`,
        consumer: index_ % 2 === 0 ? holder.username : undefined,
        caller: holder.username,
      };
      if (JSON.stringify(seen) !== JSON.stringify(expected)) mismatches.push(`${holder.username}: ${JSON.stringify(seen)}`);
    };

    const roundOf = (holders: Holder[]) =>
      Promise.all(holders.flatMap((holder) => Array.from({ length: CALLS_PER_USER_PER_ROUND }, (_, index) => call(holder, index))));
    await roundOf([...pool]);
    // The second wave of logins runs while the rounds go on.
    let roundsAfterSecondWave = -1;
    const secondWave = signInAll().then((holders) => {
      pool.push(...holders);
      roundsAfterSecondWave = 0;
    });
    let rounds = 1;
    const enough = () => calls > ENOUGH_CALLS && stack.idp.counters.refreshToken >= ENOUGH_REFRESHES && roundsAfterSecondWave >= ROUNDS_AFTER_SECOND_WAVE;
    while (!enough() && rounds < MAX_ROUNDS) {
      const round = [...pool];
      await roundOf(round);
      if (roundsAfterSecondWave >= 0 && round.length === pool.length) roundsAfterSecondWave += 1;
      rounds += 1;
      // Pacing only: the tokens fall due as time passes, so that refreshes happen among the calls.
      await sleep(150);
    }
    await secondWave;

    expect(mismatches).toEqual([]);
    expect(pool).toHaveLength(USERS.length * 2);
    expect([calls > ENOUGH_CALLS, stack.idp.counters.refreshToken >= ENOUGH_REFRESHES, roundsAfterSecondWave >= ROUNDS_AFTER_SECOND_WAVE]).toEqual([true, true, true]);
    expect(new Set(tokenOwners.values()).size).toBe(USERS.length);
  });
});
