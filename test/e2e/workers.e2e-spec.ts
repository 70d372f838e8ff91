import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startBffProcess, type BffProcess } from '../support/bff-process';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { baseEnv, TEST_ADMIN_TOKEN } from '../support/test-env';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';
import { waitFor } from '../support/wait-for';

/** The pids of a process's children (Linux). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
}

/** One GET on a connection of its own, so that node:cluster hands it to the next worker. */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('WORKERS=2: node dist/main.js as a primary and two workers', () => {
  let database: TestDatabase;
  let upstream: EchoUpstream;
  let routesFile: string;
  let bff: BffProcess;
  const redisPrefix = uniqueRedisPrefix();

  beforeAll(async () => {
    database = await createTestDatabase();
    upstream = await startEchoUpstream();
    routesFile = join(tmpdir(), `bff-workers-routes-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(routesFile, `routes:\n  - path: /public\n    upstream: ${upstream.url}\n    auth: none\n`);
    bff = await startBffProcess(
      baseEnv({ DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix, ROUTES_FILE: routesFile, WORKERS: '2', LOG_LEVEL: 'warn' }),
    );
  });
  afterAll(async () => {
    bff?.kill();
    await bff?.exited;
    await upstream?.stop();
    await database?.drop();
    await dropKeysUnder(redisPrefix);
    rmSync(routesFile, { force: true });
  });

  it('announces one listening line for both workers, which are its children', () => {
    expect(bff.stdout().match(/BFF listening: /g)).toHaveLength(1);
    expect(bff.stdout()).toContain('(2 workers)');
    expect(childrenOf(bff.child.pid!)).toHaveLength(2);
  });

  it('applies the migrations once even though both workers start together', async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('SELECT name FROM migrations');
      const names = rows.map((row) => row.name);
      expect(names.length).toBeGreaterThan(0);
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await client.end();
    }
  });

  it('serves proxied calls on the shared port and reports every worker\'s requests in one scrape', async () => {
    const statuses = await Promise.all(Array.from({ length: 20 }, () => getOnNewConnection(`${bff.browserUrl}/public/ping`)));
    expect(statuses).toEqual(Array(20).fill(200));

    const scrape = await fetch(`${bff.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    const text = await scrape.text();
    const served = [...text.matchAll(/^bff_http_requests_total\{[^}]*route="\/public"[^}]*\} (\d+)/gm)].reduce((sum, [, value]) => sum + Number(value), 0);
    expect(scrape.status).toBe(200);
    expect(served).toBe(20);
  });

  it('replaces a worker that dies while serving', async () => {
    const [victim, survivor] = childrenOf(bff.child.pid!);

    process.kill(victim, 'SIGKILL');

    await waitFor(() => childrenOf(bff.child.pid!), (pids) => pids.length === 2 && !pids.includes(victim), { what: 'a replacement worker' });
    expect(childrenOf(bff.child.pid!)).toContain(survivor);
    const statuses = await Promise.all(Array.from({ length: 6 }, () => getOnNewConnection(`${bff.browserUrl}/public/ping`)));
    expect(statuses).toEqual(Array(6).fill(200));
  });

  it('stops both workers and exits 0 on SIGTERM', async () => {
    const workers = childrenOf(bff.child.pid!);

    bff.child.kill('SIGTERM');

    await expect(bff.exited).resolves.toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});
