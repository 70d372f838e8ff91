import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const BFF_PROCESS = join(__dirname, '..', '..', 'dev', 'bff-process.ts');

/**
 * Ctrl-C on `npm run demo` returns at once: once the demo has stopped its BFF, nothing it started (a grace timer, a
 * socket) keeps its own process alive. Run in a child process of its own, whose exit is what a user waits for.
 */
describe('the demo stopping its BFF', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bff-demo-stop-'));
    mkdirSync(join(root, 'dist'));
    // A stand-in for dist/main.js that, like the BFF, exits 0 on SIGTERM.
    writeFileSync(join(root, 'dist', 'main.js'), "process.once('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);\n");
    writeFileSync(
      join(root, 'demo-like.mjs'),
      [
        `const { spawnBff } = await import(${JSON.stringify(pathToFileURL(BFF_PROCESS).href)});`,
        `const bff = spawnBff(${JSON.stringify(root)}, { PATH: process.env.PATH ?? '' }, ${JSON.stringify(root)});`,
        'await new Promise((resolve) => setTimeout(resolve, 300));',
        'await bff.stop();',
        "process.stdout.write('stopped\\n');",
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('exits as soon as the BFF has stopped, not after its stop grace period', async () => {
    const demo = spawn(process.execPath, [join(root, 'demo-like.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stoppedAt = 0;
    demo.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('stopped')) stoppedAt = performance.now();
    });
    const code = await new Promise<number | null>((resolve) => demo.once('exit', resolve));

    expect(code).toBe(0);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(performance.now() - stoppedAt).toBeLessThan(2_000);
  });
});
