import { parseArgs } from 'node:util';

export interface BenchOptions {
  duration: number;
  rounds: number;
  connections: number;
  sessions: number;
  soak: number;
  workers: number;
  loader: 'auto' | 'wrk' | 'autocannon';
  storms: number;
  stormConcurrency: number;
  idpDelayMs: number;
  loginSeconds: number;
  highConnections: number;
  cpuProf: boolean;
  /** Extra node flags for the BFF processes, e.g. `--perf-basic-prof` or `--max-semi-space-size=16`. */
  bffNodeArgs: string[];
  logLevel: string;
  keepLogs: boolean;
  /** Start everything, sign in, print the targets and wait for Ctrl-C (for poking at the stack by hand). */
  hold: boolean;
  /** The memory limit of the `m` part's BFF, MiB (0: no such run). */
  memoryLimitMib: number;
  /** Which parts run: 1-5 (scenarios), `rss` (high concurrency), `t` (span export on), `m` (memory limit), `b` (a device-bound session), `x` (token exchange), `d` (OIDC_DPOP=on). */
  only: ReadonlySet<string>;
}

export const USAGE = `npm run bench -- [options]

  --duration <s>        seconds per run (default 8)
  --rounds <n>          interleaved rounds of every target in the table (default 5)
  --connections <n>     keep-alive connections per run (default 32)
  --sessions <n>        users of scenario 2 (many users), each with a session, taken in turn (default 20000; needs wrk)
  --storms <n>          refresh storms in scenario 3 (default 3), --storm-concurrency <n> requests each (default 200)
  --idp-delay <ms>      added latency of the dev IdP's token endpoint in scenario 3 (default 50)
  --logins <s>          seconds of full logins in scenario 5 (default 5)
  --high <n>            connections of the peak-RSS run (default 256)
  --soak <s>            then run scenario 2 (else 1) this long, in 10 s windows: RSS and req/s over time (default 600; 0: off)
  --workers <n>         also run a BFF with WORKERS=n in scenario 1's rounds (default off)
  --only <list>         run only these parts, e.g. 1,2 or 1,2,3,4,5,rss,ws,t,m,b,x,d (default all; the job floor and the bare
                        proxy always run); 0 adds the BFF on an
                        \`auth: none\` route (its own overhead without authentication); t adds a BFF exporting
                        spans (OTLP/HTTP to a sink in the bench), m a BFF inside a memory limit, both in scenario 1's rounds;
                        b scenario 1 with a device-bound session (DBSC) beside an unbound one on a BFF of its own;
                        x the session call on a \`token_exchange\` route, d the session call on a BFF with
                        OIDC_DPOP=on (an ES256 proof per call), both in scenario 1's rounds
  --memory-limit <MiB>  the m part's limit: a memory cgroup when the bench may make one (default 256)
  --loader <name>       wrk | autocannon | auto (default auto: wrk when installed)
  --cpu-prof            run the BFF with --cpu-prof; profiles land in bench/results/
  --bff-node-args=<s>   extra node flags for the BFF, e.g. --bff-node-args="--max-semi-space-size=16"
  --log-level <level>   the BFF's LOG_LEVEL (default info, as in production)
  --keep-logs           keep the BFF's log files in bench/results/
  --hold                start everything, sign in, print the targets and wait for Ctrl-C (no load)`;

export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '32' },
      sessions: { type: 'string', default: '20000' },
      soak: { type: 'string', default: '600' },
      workers: { type: 'string', default: '0' },
      loader: { type: 'string', default: 'auto' },
      storms: { type: 'string', default: '3' },
      'storm-concurrency': { type: 'string', default: '200' },
      'idp-delay': { type: 'string', default: '50' },
      logins: { type: 'string', default: '5' },
      high: { type: 'string', default: '256' },
      only: { type: 'string', default: '1,2,3,4,5,rss,ws,t,m,b,x,d' },
      'memory-limit': { type: 'string', default: '256' },
      'cpu-prof': { type: 'boolean', default: false },
      'bff-node-args': { type: 'string', default: '' },
      'log-level': { type: 'string', default: 'info' },
      'keep-logs': { type: 'boolean', default: false },
      hold: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const loader = values.loader;
  if (loader !== 'auto' && loader !== 'wrk' && loader !== 'autocannon') throw new Error('--loader must be wrk, autocannon or auto');
  return {
    duration: positive('duration', values.duration),
    rounds: positive('rounds', values.rounds),
    connections: positive('connections', values.connections),
    sessions: whole('sessions', values.sessions),
    soak: whole('soak', values.soak),
    workers: whole('workers', values.workers),
    loader,
    storms: whole('storms', values.storms),
    stormConcurrency: positive('storm-concurrency', values['storm-concurrency']),
    idpDelayMs: whole('idp-delay', values['idp-delay']),
    loginSeconds: whole('logins', values.logins),
    highConnections: positive('high', values.high),
    cpuProf: values['cpu-prof'],
    bffNodeArgs: values['bff-node-args'].split(' ').filter(Boolean),
    logLevel: values['log-level'],
    keepLogs: values['keep-logs'],
    hold: values.hold,
    memoryLimitMib: whole('memory-limit', values['memory-limit']),
    only: new Set(values.only.split(',').map((part) => part.trim())),
  };
}

function whole(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
  return value;
}

function positive(name: string, text: string): number {
  const value = whole(name, text);
  if (value === 0) throw new Error(`--${name} must be positive`);
  return value;
}
