import { freePort } from '../test/support/free-port';
import { SESSION_COOKIE, signIn } from './flows';
import type { Measurement, Subject } from './measure';
import { ratiosTo, row, type Row } from './table';
import type { BffTarget } from './targets';

type Launch = (name: string, env: Record<string, string>, nodeArgs?: string[]) => Promise<BffTarget>;
type BffEnv = (port: number, adminPort: number, extra?: Record<string, string>) => Record<string, string>;

/**
 * Scenario d: scenario 1's session call on a BFF with OIDC_DPOP=on, whose session (signed in there, so its tokens are
 * bound to the session's key) sends every upstream call `Authorization: DPoP` with a fresh ES256 proof. Measured in
 * scenario 1's interleaved rounds, and compared with it: the difference is the proof.
 */
export async function dpopScenario(launch: Launch, bffEnv: BffEnv, port: number, session: Subject['load'], nodeArgs: string[]): Promise<{ target: BffTarget; subject: Subject }> {
  const target = await launch('bff-dpop', bffEnv(port, await freePort(), { OIDC_DPOP: 'on' }), nodeArgs);
  const sessionId = await signIn(target.url, 'alice');
  const headers = { ...session.headers, cookie: `${SESSION_COOKIE}=${sessionId}` };
  return { target, subject: { name: 'bff session, OIDC_DPOP=on', pid: target.pid, load: { ...session, headers, url: session.url.replace(/^http:\/\/[^/]+/, target.url) } } };
}

/** The scenario's row, its note the ratios to scenario 1. */
export function dpopRow(runs: readonly Measurement[], subject: Subject, session: Subject, floor: string, bare: string): Row {
  const ratios = ratiosTo(runs, subject.name, session.name, 'single session');
  return { ...row(runs, 'd: single session, OIDC_DPOP=on (one ES256 proof per call)', subject.name, floor, bare), note: `${ratios}one proof signed per proxied call` };
}
