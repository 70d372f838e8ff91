import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface RedisProcessOptions {
  /** Append-only file on, fsync'd on every write: what was acknowledged survives a crash (SIGKILL). */
  persistent?: boolean;
}

/**
 * A redis-server of the test's own, on its own port and directory, that the test can crash, freeze and restart
 * on the same port: a real outage, not a mock.
 */
export class RedisProcess {
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly persistent: boolean,
  ) {
    process.once('exit', this.killOnExit);
  }

  static async start(options: RedisProcessOptions = {}): Promise<RedisProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'bff-redis-'));
    const redis = new RedisProcess(await freePort(), dir, options.persistent ?? false);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (again) on the same port with the same data directory; resolves once Redis accepts connections. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push(...(this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const watchdog = child.pid === undefined ? undefined : guard(child.pid);
    this.watchdog = watchdog;
    child.once('exit', () => {
      watchdog?.kill('SIGKILL');
      if (this.child === child) this.child = undefined;
    });
    // Ready when it says so; exiting first is the only failure (the test's own timeout guards a hang).
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) done();
      };
      const onExit = (code: number | null) => fail(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`));
      const cleanUp = () => {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        child.stdout?.resume();
        child.stderr?.resume();
      };
      const done = () => {
        cleanUp();
        resolve();
      };
      const fail = (error: Error) => {
        cleanUp();
        child.kill('SIGKILL');
        reject(error);
      };
      child.stdout?.on('data', onData);
      child.once('exit', onExit);
    });
  }

  /** Kills the server outright (a crash: no shutdown save); resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode !== null || child.signalCode !== null) {
      this.child = undefined;
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: connections stay open and connects still succeed, but nothing is ever answered (a hung server). */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kills the server and removes its data directory. */
  async stop(): Promise<void> {
    this.thaw();
    await this.kill();
    this.watchdog?.kill('SIGKILL');
    process.off('exit', this.killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A jest worker that is killed outright runs no hook, which would leave its redis-server behind: this shell polls
 * for the test process every second and kills that one server (by its pid) once the test process is gone.
 */
function guard(serverPid: number): ChildProcess {
  const script = 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; kill -9 "$1" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, String(process.pid), String(serverPid)], { stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}
