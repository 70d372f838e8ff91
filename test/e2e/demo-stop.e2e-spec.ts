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
        // libuv releases the child's handle in the loop turn after its exit event.
        'await new Promise((resolve) => setTimeout(resolve, 0));',
        // What would still keep this process alive (unref'd timers are not listed), once the BFF has stopped.
        "process.stdout.write(JSON.stringify({ stopped: true, keepingAlive: process.getActiveResourcesInfo() }) + '\\n');",
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('exits as soon as the BFF has stopped, not after its stop grace period: nothing is left to keep it alive', async () => {
    const demo = spawn(process.execPath, [join(root, 'demo-like.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => demo.once('close', resolve));

    expect(code).toBe(0);
    const report = JSON.parse(output) as { stopped: boolean; keepingAlive: string[] };
    expect(report.stopped).toBe(true);
    // No grace timer, no child process, no socket: only the pipe the report itself is written to may remain.
    expect(report.keepingAlive.filter((resource) => !['PipeWrap', 'TTYWrap'].includes(resource))).toEqual([]);
  });
});
