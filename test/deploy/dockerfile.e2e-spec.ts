import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './compose-file';
import { dockerignore } from './dockerignore';
import { execForm, localCopySources, readDockerfile, type Stage } from './dockerfile';

const dockerfilePath = join(REPO_ROOT, 'Dockerfile');
const dockerfile = readDockerfile(dockerfilePath);
const ignored = dockerignore(join(REPO_ROOT, '.dockerignore'));

function stage(name: string): Stage {
  const found = dockerfile.stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
}

const texts = (from: Stage, keyword: string) => from.instructions.filter((i) => i.keyword === keyword).map((i) => i.text);

describe('Dockerfile', () => {
  it('builds on node:24 images, with the deployable runtime stage last (the default target)', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'demo', 'runtime']);
    expect(dockerfile.args['NODE_IMAGE']).toMatch(/^node:24(-[a-z]+)*$/);
    expect(stage('build').base).toBe('${NODE_IMAGE}');
    expect(stage('runtime').base).toBe('${NODE_IMAGE}');
    expect(stage('demo').base).toBe('build');
  });

  it('compiles in the build stage from a clean install of the lockfile', () => {
    const runs = texts(stage('build'), 'RUN').join('\n');
    expect(runs).toMatch(/^npm ci\b/m);
    expect(runs).toContain('npm run build:server');
  });

  it('installs with npm ci alone: a lockfile npm ci refuses fails the build instead of hiding behind npm install', () => {
    for (const from of dockerfile.stages) {
      const installs = texts(from, 'RUN').filter((text) => /\bnpm (install|i)\b/.test(text));
      expect({ stage: from.name, installs }).toEqual({ stage: from.name, installs: [] });
    }
  });

  it('has no `# syntax=` directive, so BuildKit fetches no frontend image and the build works from a registry mirror', () => {
    expect(readFileSync(dockerfilePath, 'utf8')).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('runs no install script, so nothing is fetched that the lockfile does not name (the node package would fetch Node)', () => {
    for (const from of dockerfile.stages) {
      const installs = texts(from, 'RUN').flatMap((text) => text.match(/\bnpm ci\b[^&\n]*/g) ?? []);
      for (const install of installs) expect({ stage: from.name, install }).toEqual({ stage: from.name, install: expect.stringContaining('--ignore-scripts') as unknown });
    }
  });

  it('puts no test code in any image: the dev IdP lives in dev/, and test/ never reaches the builder', () => {
    for (const from of dockerfile.stages) {
      for (const instruction of from.instructions.filter((i) => i.keyword === 'COPY')) {
        const fromTests = (localCopySources(instruction) ?? []).filter((source) => /^(\.\/)?test(\/|$)/.test(source));
        expect({ stage: from.name, fromTests }).toEqual({ stage: from.name, fromTests: [] });
      }
    }
    for (const path of ['test', 'test/support/echo-upstream.ts', 'test/e2e/x.e2e-spec.ts']) expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: true });
    expect(existsSync(join(REPO_ROOT, 'dev', 'idp', 'dev-idp.ts'))).toBe(true);
  });

  it('leaves out of the runtime image what production never loads (TypeScript, type declarations, source maps)', () => {
    const runs = texts(stage('runtime'), 'RUN').join('\n');
    expect(runs).toMatch(/rm -rf [^\n]*node_modules\/typescript\b/);
    expect(runs).toMatch(/-name '\*\.d\.ts'/);
    expect(runs).toMatch(/-name '\*\.map'/);
  });

  it('ships production dependencies and the compiled code only', () => {
    const runtime = stage('runtime');
    const runs = texts(runtime, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci --omit=dev/);
    expect(runs).not.toMatch(/npm install (?!--omit=dev)/);
    const fromOtherStages = texts(runtime, 'COPY').filter((text) => text.includes('--from='));
    expect(fromOtherStages).toEqual(['--from=build /app/dist ./dist']);
    expect(texts(runtime, 'COPY').filter((text) => !text.includes('--from='))).toEqual(['package.json package-lock.json ./']);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    for (const from of dockerfile.stages) {
      for (const instruction of from.instructions.filter((i) => i.keyword === 'COPY')) {
        for (const source of localCopySources(instruction) ?? []) {
          expect({ source, exists: existsSync(join(REPO_ROOT, source)), ignored: ignored(source) }).toEqual({ source, exists: true, ignored: false });
        }
      }
    }
  });

  it('keeps secrets, dependencies and build output out of the build context', () => {
    for (const path of ['.env', 'node_modules', '.git', 'dist', '.dev-build', 'test-output', 'src/app.spec.ts']) {
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: true });
    }
  });

  it('runs as a non-root user in every image it starts', () => {
    for (const name of ['runtime', 'demo']) {
      const instructions = stage(name).instructions;
      const user = instructions.findLastIndex((i) => i.keyword === 'USER');
      const cmd = instructions.findIndex((i) => i.keyword === 'CMD');
      expect(user).toBeGreaterThanOrEqual(0);
      expect(user).toBeLessThan(cmd);
      expect(instructions[user]?.text).not.toMatch(/^(root|0)(:|$)/);
    }
  });

  it('checks its health with node itself on the admin port', () => {
    const [healthcheck] = texts(stage('runtime'), 'HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD')));
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain("'http://127.0.0.1:' + (process.env.ADMIN_PORT || 8001) + '/healthz'");
  });

  it('starts dist/main.js, which the build compiles from src/main.ts, with the environment and Node flags of npm start', () => {
    const [cmd] = texts(stage('runtime'), 'CMD');
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    expect(manifest.scripts.start).toBe('GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072 node --max-semi-space-size=16 --heap-growing-percent=100 dist/main.js');
    const [assignment = '', ...command] = manifest.scripts.start.split(' ');
    expect(texts(stage('runtime'), 'ENV')).toContain(assignment);
    expect(execForm(cmd ?? '')).toEqual(command);
    expect(existsSync(join(REPO_ROOT, 'src', 'main.ts'))).toBe(true);
    const nestCli: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'nest-cli.json'), 'utf8'));
    expect(nestCli).toMatchObject({ sourceRoot: 'src', compilerOptions: { tsConfigPath: 'tsconfig.build.json' } });
    const buildConfig: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8'));
    expect(buildConfig).toMatchObject({ compilerOptions: { rootDir: 'src', outDir: 'dist' } });
  });

  it('starts the demo stage from a compiled dev/ entry point', () => {
    const [cmd] = texts(stage('demo'), 'CMD');
    const [, script = ''] = execForm(cmd ?? '');
    expect(existsSync(join(REPO_ROOT, script.replace(/^\.dev-build\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    expect(texts(stage('demo'), 'RUN')).toContain('npx tsc -p tsconfig.dev.json');
  });
});
