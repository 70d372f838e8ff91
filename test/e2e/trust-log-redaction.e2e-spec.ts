import { randomBytes } from 'node:crypto';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { startBffProcess, type BffProcess } from '../support/bff-process';
import { freePort } from '../support/free-port';
import { baseEnv } from '../support/test-env';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';
import { waitFor } from '../support/wait-for';

describe('the access log of a BFF as an operator runs it', () => {
  let idp: DevIdp;
  let bff: BffProcess;
  let publicUrl: string;
  const redisPrefix = uniqueRedisPrefix();

  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    idp = await startDevIdp({ redirectUris: [`${publicUrl}/auth/callback`] });
    bff = await startBffProcess(
      baseEnv({
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        LOG_LEVEL: 'info',
        DB_MIGRATIONS_RUN: 'false',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      }),
    );
  });
  afterAll(async () => {
    bff?.kill();
    await bff?.exited;
    await idp?.stop();
    await dropKeysUnder(redisPrefix);
  });

  it('censors login_hint and the other login and token parameters the contract lists, and keeps the rest', async () => {
    const hint = `hint-${randomBytes(6).toString('hex')}@example.test`;
    const marker = `m${randomBytes(6).toString('hex')}`;
    const secret = ['login_hint', 'id_token_hint', 'client_assertion', 'subject_token', 'actor_token', 'request', 'request_uri'];
    const query = new URLSearchParams({ returnTo: '/', login_hint: hint, ui_locales: 'en' });
    const login = await fetch(`${publicUrl}/auth/login?${query.toString()}`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    // Refused (400) as parameters a browser never chooses, and logged all the same.
    const refused = await fetch(`${publicUrl}/auth/login?${secret.slice(1).map((name) => `${name}=${marker}`).join('&')}`, { redirect: 'manual' });
    expect(refused.status).toBe(400);

    const lines = await waitFor(
      () => bff.stdout().split('\n').filter((line) => line.includes('/auth/login?')),
      (found) => found.length >= 2,
      { what: 'the access log lines of both logins' },
    );
    const logged = lines.join('\n');
    expect(logged).not.toContain(hint);
    expect(logged).not.toContain(encodeURIComponent(hint));
    expect(logged).not.toContain(marker);
    for (const name of secret) expect(logged).toContain(`${name}=%5Bredacted%5D`);
    expect(logged).toContain('ui_locales=en');
  });
});
