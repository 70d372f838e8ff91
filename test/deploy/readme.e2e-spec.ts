import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { DEFAULT_USERS } from '../../dev/idp/idp-users';
import { loadAppConfig } from '../../src/config/app-config';
import { readEnv } from '../../src/config/read-env';
import { REPO_ROOT } from './compose-file';
import { execForm, readDockerfile } from './dockerfile';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The README's fenced code block (```bash) that holds `marker`. */
function bashBlock(marker: string): string {
  const block = [...README.matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body = '']) => body).find((body) => body.includes(marker));
  if (block === undefined) throw new Error(`the README has no bash block with ${marker}`);
  return block;
}

describe('README, as a newcomer follows it', () => {
  it('gives an Okta block that, pasted into a shell, writes a .env the BFF accepts, one variable a line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bff-readme-okta-'));
    try {
      const run = spawnSync('bash', ['-e'], { cwd: dir, input: bashBlock('cat > .env <<EOF'), encoding: 'utf8' });
      expect([run.status, run.stderr]).toEqual([0, '']);
      const text = readFileSync(join(dir, '.env'), 'utf8');
      const assignments = text.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
      expect(Object.keys(parse(text))).toHaveLength(assignments.length);
      const result = loadAppConfig(readEnv(dir, {}));
      expect(result.ok ? [] : result.problems).toEqual([]);
      if (!result.ok) return;
      expect(result.config.admin.token).toMatch(/^[0-9a-f]{64}$/);
      expect(result.config.session.encryptionKeys[0]).toHaveLength(32);
      // Okta users get a consumer at their first login, instead of a 403 each until someone creates them.
      expect(result.config.consumer.autoCreate).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs its admin API examples on a consumer that is not one of the demo\'s users', () => {
    const examples = bashBlock('A="Authorization: Bearer $ADMIN_TOKEN"');
    for (const { username } of DEFAULT_USERS) expect([username, new RegExp(`\\b${username}\\b`).test(examples)]).toEqual([username, false]);
  });

  it('keeps every table whole: no blank line in the middle of one', () => {
    expect(README).not.toMatch(/\|\n\n\|/);
  });

  it('says how the image builds and starts as the Dockerfile does', () => {
    const dockerfile = readDockerfile(join(REPO_ROOT, 'Dockerfile'));
    const runtime = dockerfile.stages.find((stage) => stage.name === 'runtime');
    const cmd = runtime?.instructions.find((instruction) => instruction.keyword === 'CMD')?.text ?? '';
    expect(README).toContain(`CMD ${JSON.stringify(execForm(cmd))}`);
    const build = dockerfile.stages.find((stage) => stage.name === 'build');
    const buildRuns = build?.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.text) ?? [];
    for (const script of buildRuns.flatMap((text) => text.match(/npm run [\w:-]+/g) ?? [])) expect(README).toContain(`\`${script}\``);
  });
});
