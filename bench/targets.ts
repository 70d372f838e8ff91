import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort } from '../test/support/free-port';
import type { DevIdpOptions } from '../dev/idp/dev-idp';
import type { IdpProcessMessage } from './idp-process';
import { startNode, stop, waitFor } from './processes';

/** The repository root, whether this runs from `.dev-build/bench/` or elsewhere. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface Target {
  name: string;
  url: string;
  process: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** The fast upstream or the bare proxy: a compiled bench script in a process of its own. */
export async function startHelper(name: string, script: string, extraArgs: readonly string[] = []): Promise<Target> {
  const port = await freePort();
  const child = startNode(join(__dirname, script), [String(port), ...extraArgs], process.env, 'inherit');
  await waitFor(name, () => canConnect(port), 10_000, child);
  return { name, url: `http://127.0.0.1:${port}`, process: child, pid: child.pid ?? 0, stop: () => stop(child) };
}

export interface BffOptions {
  name: string;
  env: Record<string, string>;
  logFile: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
  /** Start inside this memory cgroup (its `cgroup.procs`). */
  cgroupProcs?: string;
}

export interface BffTarget extends Target {
  adminUrl: string;
}

/** The environment and Node flags the BFF ships with: those of `npm start` (package.json), which the Dockerfile repeats. */
export function productionCommand(): { env: Record<string, string>; nodeFlags: string[] } {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = manifest.scripts.start.split(/\s+/);
  const node = words.indexOf('node');
  const env = Object.fromEntries(words.slice(0, node).map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
  return { env, nodeFlags: words.slice(node + 1, words.indexOf('dist/main.js')) };
}

/** `node <production flags> dist/main.js` with the production and the given environment, logs to a file; ready once the admin `/healthz` answers. */
export async function startBff(options: BffOptions): Promise<BffTarget> {
  const main = join(REPO_ROOT, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error('dist/main.js is missing: run `npm run build` first');
  const port = Number(options.env['PORT']);
  const adminPort = Number(options.env['ADMIN_PORT']);
  const log = openSync(options.logFile, 'a');
  const production = productionCommand();
  const env = { ...production.env, ...options.env, PATH: process.env['PATH'] ?? '' };
  const child = startNode(main, [], env, ['ignore', log, log], [...production.nodeFlags, ...(options.nodeArgs ?? [])], options.cgroupProcs);
  closeSync(log);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  try {
    await waitFor(options.name, async () => (await fetch(`${adminUrl}/healthz`)).ok, 60_000, child);
  } catch (error: unknown) {
    const tail = existsSync(options.logFile) ? readFileSync(options.logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- ${options.logFile} (tail) ---\n${tail}`, { cause: error });
  }
  return {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    adminUrl,
    process: child,
    pid: child.pid ?? 0,
    stop: () => stop(child, 15_000),
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

/** The development IdP of the refresh storm, in a process of its own; its counters are asked for over IPC. */
export interface IdpProcess {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Successful refresh_token grants so far. */
  refreshGrants(): Promise<number>;
  stop(): Promise<void>;
}

export async function startIdpProcess(options: DevIdpOptions): Promise<IdpProcess> {
  const child = startNode(join(__dirname, 'idp-process.js'), [JSON.stringify(options)], process.env, ['ignore', 'inherit', 'inherit', 'ipc']);
  const pending = new Map<number, (count: number) => void>();
  let nextId = 0;
  const ready = await new Promise<Extract<IdpProcessMessage, { type: 'ready' }>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the IdP process exited with ${code}`)));
    child.on('message', (message: IdpProcessMessage) => {
      if (message.type === 'ready') resolve(message);
      else pending.get(message.id)?.(message.refreshToken);
    });
  });
  return {
    issuer: ready.issuer,
    clientId: ready.clientId,
    clientSecret: ready.clientSecret,
    refreshGrants: () =>
      new Promise((resolve) => {
        const id = (nextId += 1);
        pending.set(id, (count) => {
          pending.delete(id);
          resolve(count);
        });
        child.send({ type: 'counters', id });
      }),
    stop: () => stop(child),
  };
}
