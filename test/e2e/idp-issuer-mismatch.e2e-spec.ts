import { startBffProcess } from '../support/bff-process';
import { MisbehavingIdp, ROGUE_CLIENT } from '../support/misbehaving-idp';
import { startTestApp, type TestApp } from '../support/test-app';
import { baseEnv } from '../support/test-env';
import { waitFor } from '../support/wait-for';

async function readiness(app: TestApp): Promise<{ status: number; body: { checks?: Record<string, string>; message?: string } }> {
  const response = await app.admin('/readyz');
  return { status: response.status, body: (await response.json()) as { checks?: Record<string, string>; message?: string } };
}

describe.each([
  ['OIDC_ISSUER has a trailing slash the provider does not', (issuer: string) => `${issuer}/`, (served: string) => served],
  ['the provider names its issuer with a trailing slash', (issuer: string) => issuer, (served: string) => `${served}/`],
  ['the provider names another path', (issuer: string) => issuer, (served: string) => `${served}/oauth2/default`],
])('an issuer mismatch: %s', (_case, configured, discovered) => {
  let idp: MisbehavingIdp;
  let app: TestApp;

  beforeAll(async () => {
    idp = await MisbehavingIdp.start({ metadataIssuer: discovered });
    app = await startTestApp({
      OIDC_ISSUER: configured(idp.issuer),
      OIDC_CLIENT_ID: ROGUE_CLIENT.id,
      OIDC_CLIENT_SECRET: ROGUE_CLIENT.secret,
      CONSUMER_OPTIONAL: 'true',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await idp?.stop();
  });

  it('is reported by /readyz as "idp":"issuer_mismatch", not as unreachable', async () => {
    const ready = await waitFor(() => readiness(app), (answer) => answer.body.checks?.['idp'] !== 'down', { what: 'discovery to finish' });

    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ redis: 'up', postgres: 'up', idp: 'issuer_mismatch' });
    expect(ready.body.message).toContain('configuration error');
  });

  it('refuses logins with 503 rather than sending the browser to a provider it cannot trust', async () => {
    const login = await fetch(`${app.browserUrl}/auth/login`, { redirect: 'manual' });

    expect([login.status, ((await login.json()) as { error?: string }).error]).toEqual([503, 'idp_unavailable']);
  });
});

describe('the issuer exactly as configured', () => {
  it('is ready: the control for the mismatches above', async () => {
    const idp = await MisbehavingIdp.start();
    const app = await startTestApp({ OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: ROGUE_CLIENT.id, OIDC_CLIENT_SECRET: ROGUE_CLIENT.secret });
    try {
      const ready = await waitFor(() => readiness(app), (answer) => answer.status === 200, { what: 'readiness' });
      expect(ready.body.checks).toEqual({ redis: 'up', postgres: 'up', idp: 'up' });
    } finally {
      await app.stop();
      await idp.stop();
    }
  });
});

describe('the log of a BFF whose OIDC_ISSUER has a trailing slash', () => {
  it('names the configuration error and both issuers, at error level', async () => {
    const idp = await MisbehavingIdp.start();
    const env = baseEnv({ OIDC_ISSUER: `${idp.issuer}/`, LOG_LEVEL: 'info', DB_MIGRATIONS_RUN: 'false', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    const bff = await startBffProcess(env);
    try {
      const line = await waitFor(
        () => bff.stdout().split('\n').find((entry) => entry.includes('configuration error: the discovery document names another issuer')),
        undefined,
        { what: 'the issuer mismatch log line' },
      );
      expect(JSON.parse(line)).toMatchObject({ level: 50, configured: `${idp.issuer}/`, discovered: idp.issuer });
      expect(bff.messages()).not.toContain('discovery failed');
    } finally {
      bff.kill();
      await bff.exited;
      await idp.stop();
    }
  });
});
