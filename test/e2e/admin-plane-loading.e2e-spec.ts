import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { startBffProcess, type BffProcess } from '../support/bff-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { baseEnv, TEST_ADMIN_TOKEN } from '../support/test-env';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';

const ADMIN_PLANE_PACKAGES = ['@nestjs/swagger', 'class-validator', 'class-transformer'];

/** A preload that logs, as a JSON line, the first time the process loads a file of one of these packages. */
function packageLoadReporter(dir: string): string {
  const preload = join(dir, 'report-package-loads.js');
  writeFileSync(
    preload,
    `const watched = ${JSON.stringify(ADMIN_PLANE_PACKAGES)};
const seen = new Set();
require('node:module').registerHooks({
  load(url, context, nextLoad) {
    const name = watched.find((candidate) => url.includes('/node_modules/' + candidate + '/'));
    if (name && !seen.has(name)) {
      seen.add(name);
      process.stdout.write(JSON.stringify({ msg: 'package loaded: ' + name }) + '\\n');
    }
    return nextLoad(url, context);
  },
});
`,
  );
  return preload;
}

describe('the admin plane, loaded on its first request (dist/main.js as an operator runs it)', () => {
  let idp: DevIdp;
  let database: TestDatabase;
  let bff: BffProcess;
  let dir: string;
  const redisPrefix = uniqueRedisPrefix();
  const admin = (path: string) => fetch(`${bff.adminUrl}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  const loads = () => bff.messages().filter((message) => message.startsWith('package loaded: ') || message === 'admin plane loaded');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bff-admin-plane-'));
    idp = await startDevIdp();
    database = await createTestDatabase();
    const env = { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, LOG_LEVEL: 'info' };
    const connections = { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix, DATABASE_URL: database.url };
    bff = await startBffProcess(baseEnv({ ...env, ...connections }), { nodeArgs: ['--require', packageLoadReporter(dir)] });
  });
  afterAll(async () => {
    bff?.kill();
    await bff?.exited;
    await idp?.stop();
    await database?.drop();
    await dropKeysUnder(redisPrefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves probes, metrics, unknown admin paths and the browser port without loading it, and says it is ready', async () => {
    expect((await fetch(`${bff.adminUrl}/healthz`)).status).toBe(200);
    const ready = await admin('/readyz');
    expect([ready.status, await ready.json()]).toEqual([200, expect.objectContaining({ status: 'ready' })]);
    expect((await admin('/metrics')).status).toBe(200);
    const unknown = await admin('/no-such-route');
    expect([unknown.status, await unknown.json()]).toEqual([404, expect.objectContaining({ error: 'not_found' })]);
    expect((await fetch(`${bff.browserUrl}/consumers`)).status).toBe(404);
    expect((await fetch(`${bff.browserUrl}/auth/user`)).status).toBe(401);
    expect(loads()).toEqual([]);
  });

  it('loads it once for concurrent first requests, then serves the consumers API and the OpenAPI document from it', async () => {
    const first = await Promise.all([admin('/consumers'), admin('/Consumers/'), admin('/consumers/nobody')]);
    expect(first.map((response) => response.status)).toEqual([200, 200, 404]);
    expect(loads().filter((message) => message === 'admin plane loaded')).toHaveLength(1);
    expect(loads()).toEqual(expect.arrayContaining(ADMIN_PLANE_PACKAGES.map((name) => `package loaded: ${name}`)));
    const document = (await (await admin('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(['/healthz', '/readyz', '/metrics', '/consumers', '/consumers/{idOrUsername}', '/consumers/{idOrUsername}/sessions']);
    expect((await fetch(`${bff.adminUrl}/openapi.json`)).status).toBe(401);
  });
});
