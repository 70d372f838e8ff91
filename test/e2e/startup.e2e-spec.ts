import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { logLines, runBffToExit, startBffProcess, type BffRun } from '../support/bff-process';
import { unusedTestDatabase, withAdminClient } from '../support/test-database';
import { baseEnv } from '../support/test-env';
import { TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';
import { waitFor } from '../support/wait-for';

const root = join(__dirname, '..', '..');
// What a terminal shows for colour and what a stack frame looks like: neither belongs in a start-up failure.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;
const STACK_FRAME = /\n\s+at /;

/** The environment of a start that gets as far as Postgres: valid, quiet except for what start-up itself says. */
function startEnv(overrides: Record<string, string | undefined>): Record<string, string | undefined> {
  return baseEnv({ LOG_LEVEL: 'info', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: uniqueRedisPrefix(), ...overrides });
}

/**
 * The line a failed start ended with, parsed: exit 1, nothing on stderr, no colour or stack trace, and one JSON line
 * at level fatal, the last; `alone`: the only line at all (the database is checked before anything else starts).
 */
function theFailureLine(run: BffRun, { alone = true } = {}): Record<string, unknown> {
  expect(run.code).toBe(1);
  expect(run.stderr).toBe('');
  expect(run.stdout).not.toMatch(ANSI);
  expect(run.stdout).not.toMatch(STACK_FRAME);
  const lines = logLines(run.stdout);
  expect(lines).toHaveLength(run.stdout.trim().split('\n').length);
  if (alone) expect(lines).toHaveLength(1);
  expect(lines.filter((line) => Number(line['level']) >= 50)).toHaveLength(1);
  const line = lines.at(-1);
  expect(line).toMatchObject({ level: 60, context: 'Startup' });
  return line ?? {};
}

/** A Node older than 24: the machine's own when it has one (Debian's 20 here), else this one pretending to be 20. */
function oldNode(): { node: string; nodeArgs: string[]; version: string; cleanup(): void } {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    const version = probe.stdout?.trim().replace(/^v/, '') ?? '';
    if (probe.status === 0 && Number(version.split('.')[0]) < 24) return { node: candidate, nodeArgs: [], version, cleanup: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bff-old-node-'));
  const preload = join(dir, 'pretend-node-20.js');
  writeFileSync(preload, "Object.defineProperty(process.versions, 'node', { value: '20.19.0' });\n");
  return { node: process.execPath, nodeArgs: ['--require', preload], version: '20.19.0', cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('start-up', () => {
  it('exits non-zero before listening, one line per problem, naming variables and never secret values', async () => {
    const secret = 'tiny-secret';
    const result = await runBffToExit({ ADMIN_TOKEN: secret, OIDC_CLIENT_SECRET: 'another-secret', PORT: 'eighty' }, { cwd: join(root, 'test') });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'config error: PORT: must be an integer',
        'config error: ADMIN_TOKEN: must be at least 32 characters',
        'config error: PUBLIC_URL: is required',
        'config error: OIDC_ISSUER: is required',
        'config error: OIDC_CLIENT_ID: is required',
        'config error: TOKEN_ENCRYPTION_KEYS: is required',
      ]),
    );
    expect(result.stderr + result.stdout).not.toContain(secret);
    expect(result.stderr + result.stdout).not.toContain('another-secret');
    expect(result.stdout).not.toContain('listening');
  });

  it('starts with a valid environment, says where it listens and nothing of Nest\'s own start-up, and stops on SIGTERM', async () => {
    const bff = await startBffProcess(
      startEnv({ HOST: '0.0.0.0', DB_MIGRATIONS_RUN: 'false', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' }),
    );
    try {
      // The address it is bound to, as configured: every interface, not the loopback a test reaches it on.
      expect(bff.browserUrl).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      expect(bff.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const port = new URL(bff.browserUrl).port;
      expect((await fetch(`${bff.adminUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
      const contexts = logLines(bff.stdout()).map((line) => line['context']);
      for (const nestContext of ['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']) {
        expect(contexts).not.toContain(nestContext);
      }
      bff.child.kill('SIGTERM');
      expect(await bff.exited).toBe(0);
    } finally {
      bff.kill();
    }
  });

  it('refuses a Node.js older than 24 in one line naming the version needed, before anything fails inside', async () => {
    const old = oldNode();
    try {
      const result = await runBffToExit(startEnv({}), { node: old.node, nodeArgs: old.nodeArgs });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(`needs Node.js 24 or later, and this is Node.js ${old.version}`) as unknown]);
      expect(result.stderr).toContain('node_modules/.bin/node dist/main.js');
    } finally {
      old.cleanup();
    }
  });

  describe('its database', () => {
    it('creates the database DATABASE_URL names when it is missing, then applies the migrations', async () => {
      const database = unusedTestDatabase();
      const bff = await startBffProcess(startEnv({ DATABASE_URL: database.url }));
      try {
        expect(logLines(bff.stdout())).toContainEqual(
          expect.objectContaining({ level: 30, variable: 'DATABASE_URL', database: database.name, msg: 'created the database' }),
        );
        const client = new Client({ connectionString: database.url });
        await client.connect();
        try {
          expect((await client.query('SELECT name FROM migrations')).rowCount).toBeGreaterThan(0);
        } finally {
          await client.end();
        }
      } finally {
        bff.kill();
        await bff.exited;
        await database.drop();
      }
    });

    it('with DB_MIGRATIONS_RUN=false, leaves a missing database to the operator: one line naming DATABASE_URL and the command', async () => {
      const database = unusedTestDatabase();
      const line = theFailureLine(await runBffToExit(startEnv({ DATABASE_URL: database.url, DB_MIGRATIONS_RUN: 'false' })));
      expect(line['variable']).toBe('DATABASE_URL');
      expect(line['msg']).toContain(`database "${database.name}" does not exist`);
      expect(line['msg']).toContain(`createdb -h 127.0.0.1 -p 5432 -U postgres ${database.name}`);
      expect(line['msg']).toContain('npm run migration:run');
      const found = await withAdminClient((client) => client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database.name]));
      expect(found.rowCount).toBe(0);
    });

    it('says, in one line, that a role without CREATEDB cannot create it, and how to', async () => {
      const role = `bff_test_nocreate_${randomBytes(4).toString('hex')}`;
      await withAdminClient((client) => client.query(`CREATE ROLE "${role}" LOGIN NOCREATEDB`));
      try {
        const database = unusedTestDatabase(role);
        const line = theFailureLine(await runBffToExit(startEnv({ DATABASE_URL: database.url })));
        expect(line['variable']).toBe('DATABASE_URL');
        expect(line['msg']).toContain(`user "${role}" may not create it`);
        expect(line['msg']).toContain(`createdb -h 127.0.0.1 -p 5432 -U ${role} ${database.name}`);
      } finally {
        await withAdminClient((client) => client.query(`DROP ROLE IF EXISTS "${role}"`));
      }
    });

    it('reports a Postgres it cannot reach in one line naming DATABASE_URL, never its password', async () => {
      const closed = await closedPort();
      const line = theFailureLine(await runBffToExit(startEnv({ DATABASE_URL: `postgres://bff:pa55-word-of-the-db@127.0.0.1:${closed}/bff` })));
      expect(line['variable']).toBe('DATABASE_URL');
      expect(line['msg']).toContain(`cannot use Postgres at 127.0.0.1:${closed} as user "bff"`);
      expect(line['msg']).toContain('ECONNREFUSED');
      expect(JSON.stringify(line)).not.toContain('pa55-word');
    });
  });

  it('starts without Redis, saying once which variable points at it, and /readyz names it', async () => {
    const closed = await closedPort();
    const bff = await startBffProcess(startEnv({ REDIS_URL: `redis://127.0.0.1:${closed}`, DB_MIGRATIONS_RUN: 'false', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' }));
    try {
      const [line] = await waitFor(
        () => logLines(bff.stdout()).filter((entry) => entry['context'] === 'Redis'),
        (found) => found.length > 0,
        { what: 'the Redis connection error line' },
      );
      expect(line).toMatchObject({ level: 50, variable: 'REDIS_URL', reason: expect.stringContaining('ECONNREFUSED') as unknown });
      expect(bff.stdout()).not.toMatch(STACK_FRAME);
      const ready = await fetch(`${bff.adminUrl}/readyz`, { headers: { authorization: `Bearer ${String(baseEnv()['ADMIN_TOKEN'])}` } });
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { redis: 'down' } });
    } finally {
      bff.kill();
      await bff.exited;
    }
  });

  it('reports a port already taken in one line naming PORT', async () => {
    const taken = await listeningServer();
    try {
      const port = String((taken.address() as { port: number }).port);
      const run = await runBffToExit(startEnv({ PORT: port, DB_MIGRATIONS_RUN: 'false', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' }));
      const line = theFailureLine(run, { alone: false });
      expect(line).toMatchObject({ variable: 'PORT', msg: `cannot listen on 127.0.0.1:${port} (PORT, HOST): EADDRINUSE` });
    } finally {
      taken.close();
    }
  });
});

function listeningServer(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function closedPort(): Promise<number> {
  const server = await listeningServer();
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
