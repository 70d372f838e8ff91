import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Runs a script in a plain Node process (the module cache is Node's, not jest's) against the built dist/. */
function inNode(script: string): unknown {
  const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as unknown;
}

describe("start-up's own modules, forgotten once read (dist/startup/boot-only.js)", () => {
  it('returns what the configuration schema made of the environment, and leaves no module of it, zod or dotenv cached', () => {
    // The caller is a cached module, as main.js is: the modules it required must leave its children too.
    const dir = mkdtempSync(join(tmpdir(), 'bff-boot-only-'));
    const caller = join(dir, 'read-config.js');
    writeFileSync(
      caller,
      `const { bootOnly } = require(${JSON.stringify(join(ROOT, 'dist/startup/boot-only.js'))});
module.exports = () => bootOnly(
  () => ({ ...require(${JSON.stringify(join(ROOT, 'dist/config/app-config.js'))}), ...require(${JSON.stringify(join(ROOT, 'dist/config/read-env.js'))}) }),
  ({ loadAppConfig, readEnv }) => loadAppConfig(readEnv('/nonexistent', { PORT: 'eighty' })),
);`,
    );
    const result = inNode(`
      const readConfig = require(${JSON.stringify(caller)});
      const before = Object.keys(require.cache).length;
      const config = readConfig();
      const cached = Object.keys(require.cache);
      console.log(JSON.stringify({
        ok: config.ok,
        problems: config.problems.filter((problem) => problem.startsWith('PORT')),
        added: cached.length - before,
        zod: cached.some((key) => key.includes('/node_modules/zod/')),
        callerChildren: require.cache[${JSON.stringify(caller)}].children.map((child) => child.filename.split('/').pop()),
        zodGlobals: '__zod_globalRegistry' in globalThis || '__zod_globalConfig' in globalThis,
      }));
    `);
    rmSync(dir, { recursive: true, force: true });
    expect(result).toEqual({ ok: false, problems: ['PORT: must be an integer'], added: 0, zod: false, callerChildren: ['boot-only.js'], zodGlobals: false });
  });

  it('keeps what was loaded before it, and what the caller still refers to keeps working', () => {
    const result = inNode(`
      const { bootOnly } = require('./dist/startup/boot-only.js');
      const keySet = require('./dist/common/sha256.js');
      const routes = bootOnly(
        () => require('./dist/proxy/forwarding/load-routes.js'),
        ({ loadRoutes }) => loadRoutes({ upstreamUrl: 'http://127.0.0.1:9/' }),
      );
      const cached = Object.keys(require.cache);
      console.log(JSON.stringify({
        routes: routes.ok ? routes.routes.map((route) => route.path) : routes.problems,
        sha256: cached.some((key) => key.endsWith('/dist/common/sha256.js')) && typeof keySet.sha256Hex('x') === 'string',
        yaml: cached.some((key) => key.includes('/node_modules/yaml/')),
        schema: cached.some((key) => key.endsWith('/route-file.schema.js')),
      }));
    `);
    expect(result).toEqual({ routes: ['/api'], sha256: true, yaml: false, schema: false });
  });
});
