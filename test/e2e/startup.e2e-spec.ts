import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { baseEnv } from '../support/test-env';

const root = join(__dirname, '..', '..');

function runMain(env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'main.js')], {
      env: { PATH: process.env['PATH'], ...env },
      cwd: join(root, 'test'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('start-up with bad configuration', () => {
  it('exits non-zero before listening, one line per problem, naming variables and never secret values', async () => {
    const secret = 'tiny-secret';
    const result = await runMain({ ADMIN_TOKEN: secret, OIDC_CLIENT_SECRET: 'another-secret', PORT: 'eighty' });
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

  it('starts with a valid environment and stops on SIGTERM', async () => {
    const env = baseEnv({ LOG_LEVEL: 'warn', DB_MIGRATIONS_RUN: 'false', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    const child = spawn(process.execPath, [join(root, 'dist', 'main.js')], { env: { PATH: process.env['PATH'], ...env } });
    let stdout = '';
    const listening = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('listening')) resolve();
      });
    });
    await listening;
    const [, browser, admin] = /browser (\S+), admin (\S+)/.exec(stdout) ?? [];
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    expect((await fetch(`${browser}/healthz`)).status).toBe(404);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
