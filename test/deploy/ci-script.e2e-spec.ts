import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './compose-file';

const CI = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
// CI's own limit is 90 minutes; the busy loop must end well before, whatever happens to the tests.
const CI_LIMIT_SECONDS = 90 * 60;

describe('.ci/run', () => {
  it('runs npm test beside a busy loop on one core, bounded by itself and killed when the tests end', () => {
    const loop = /timeout "\$\{CI_BUSY_SECONDS:-(\d+)\}" sh -c 'while :; do :; done' &\nbusy=\$!\ntrap 'kill "\$busy" 2>\/dev\/null \|\| true' EXIT/.exec(CI);
    expect(loop).not.toBeNull();
    expect(Number(loop?.[1])).toBeLessThan(CI_LIMIT_SECONDS * 0.75);
    const started = CI.indexOf(loop?.[0] ?? '');
    const tests = CI.indexOf('npm test -- --json', started);
    const killed = CI.indexOf('kill "$busy"', tests);
    expect([started >= 0, tests > started, killed > tests]).toEqual([true, true, true]);
  });

  it('closes with the line that counts the tests', () => {
    expect(CI).toContain('console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);');
  });
});
