import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LISTENING = /BFF listening: browser (\S+), admin (\S+)/;

export interface BffProcess {
  child: ChildProcessWithoutNullStreams;
  browserUrl: string;
  adminUrl: string;
  /** Everything written to stdout so far (the listening line and pino's JSON log lines). */
  stdout(): string;
  /** The log lines' `msg` fields, in order. */
  messages(): string[];
  exited: Promise<number | null>;
  kill(): void;
}

export interface BffRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BffSpawnOptions {
  /** The Node binary (default: the one running the tests, the project's Node 24). */
  node?: string;
  /** Arguments before dist/main.js (Node flags such as `--require`). */
  nodeArgs?: string[];
  cwd?: string;
}

/**
 * `node dist/main.js` as an operator runs it (build first); resolves once it prints its listening line. No clock: on
 * a loaded machine it may take long, and only the process exiting first is a failure (the test's timeout guards hangs).
 */
export async function startBffProcess(env: Record<string, string | undefined>, options: BffSpawnOptions = {}): Promise<BffProcess> {
  const { child, output, exited, closed } = spawnMain(env, options);
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const [, browserUrl = '', adminUrl = ''] = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = () => {
      const found = LISTENING.exec(output.stdout);
      if (!found) return;
      child.stdout.off('data', onData);
      resolve(found);
    };
    child.stdout.on('data', onData);
    void closed.then((code) => reject(new Error(`dist/main.js exited with ${code} before listening: ${output.stderr.slice(-1000)}${output.stdout.slice(-1000)}`)));
  });
  return {
    child,
    browserUrl,
    adminUrl,
    stdout: () => output.stdout,
    messages: () => logLines(output.stdout).flatMap((line) => (typeof line['msg'] === 'string' ? [line['msg']] : [])),
    exited,
    kill,
  };
}

/** `node dist/main.js` that is expected to stop by itself (a start-up failure): its exit code and output. */
export async function runBffToExit(env: Record<string, string | undefined>, options: BffSpawnOptions = {}): Promise<BffRun> {
  const { output, closed } = spawnMain(env, options);
  const code = await closed;
  return { code, ...output };
}

/** The JSON log lines of some output, parsed; other lines (the listening line) are left out. */
export function logLines(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line): Record<string, unknown>[] => {
    if (!line.startsWith('{')) return [];
    try {
      const parsed: unknown = JSON.parse(line);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? [{ ...parsed }] : [];
    } catch {
      return [];
    }
  });
}

function spawnMain(env: Record<string, string | undefined>, { node = process.execPath, nodeArgs = [], cwd = ROOT }: BffSpawnOptions) {
  const child = spawn(node, [...nodeArgs, join(ROOT, 'dist', 'main.js')], { env: { PATH: process.env['PATH'], ...env }, cwd });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Later than 'exit': by then every byte the process wrote has been read.
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output, exited, closed };
}
