import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const START_TIMEOUT_MS = 20_000;

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

/** `node dist/main.js` as an operator runs it (build first); resolves once both listeners are up. */
export async function startBffProcess(env: Record<string, string | undefined>): Promise<BffProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], { env: { PATH: process.env['PATH'], ...env }, cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const [, browserUrl = '', adminUrl = ''] = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`dist/main.js did not start listening: ${stderr.slice(-1000)}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      const found = /BFF listening: browser (\S+), admin (\S+)/.exec(stdout);
      if (!found) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(found);
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dist/main.js exited with ${code} before listening: ${stderr.slice(-1000)}`));
    });
  });
  return {
    child,
    browserUrl,
    adminUrl,
    stdout: () => stdout,
    messages: () => stdout.split('\n').flatMap((line) => messageOf(line)),
    exited,
    kill,
  };
}

function messageOf(line: string): string[] {
  if (!line.startsWith('{')) return [];
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && 'msg' in parsed && typeof parsed.msg === 'string' ? [parsed.msg] : [];
  } catch {
    return [];
  }
}
