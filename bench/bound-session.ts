import { freePort } from '../test/support/free-port';
import { DbscBrowser } from '../test/support/dbsc-browser';
import { signIn, SESSION_COOKIE } from './flows';
import type { LoadGenerator } from './load';
import { measure, type Measurement, type Subject } from './measure';
import type { BenchOptions } from './options';
import { row, type Row } from './table';
import { startIdpProcess, type BffTarget } from './targets';

const BOUND_COOKIE = `${SESSION_COOKIE}-bound`;

export interface BoundSessionSetup {
  options: BenchOptions;
  generator: LoadGenerator;
  bffEnv: (port: number, adminPort: number, extra?: Record<string, string>) => Record<string, string>;
  launch: (name: string, env: Record<string, string>) => Promise<BffTarget>;
  /** The job floor and the bare proxy, measured in the same rounds for the usual ratios. */
  floor: Subject;
  bare: Subject;
  headers: Record<string, string>;
  progress: (pending: Promise<Measurement>) => Promise<Measurement>;
}

/**
 * Scenario b: scenario 1 against a BFF with SESSION_DEVICE_BINDING=on (an IdP of its own, so nothing else changes),
 * an unbound session and a device-bound one (registered by the DBSC test browser) in the same rounds. Their ratio is
 * what the bound-cookie check costs on the hot path: one more cookie read and one HMAC.
 */
export async function boundSessionScenario(setup: BoundSessionSetup): Promise<{ runs: Measurement[]; rows: Row[] }> {
  const { options, generator, launch, bffEnv, floor, bare, headers, progress } = setup;
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const idp = await startIdpProcess({ accessTokenTtlSeconds: 3600, redirectUris: [`${publicUrl}/auth/callback`] });
  const bff = await launch('bff-bound', { ...bffEnv(port, await freePort(), { SESSION_DEVICE_BINDING: 'on' }), OIDC_ISSUER: idp.issuer });
  try {
    const url = `${bff.url}/api/orders/42?expand=items`;
    const unbound: Subject = { name: 'bff session, binding on, unbound', pid: bff.pid, load: { url, headers: { ...headers, cookie: `${SESSION_COOKIE}=${await signIn(publicUrl, 'alice')}`, 'x-csrf': '1' } } };
    const device = new DbscBrowser();
    await device.browser.loginWithForm(`${publicUrl}/auth/login?returnTo=%2F`, 'bob', 'bob-password');
    // A fresh bound cookie before every run: a long --duration would outlast its 10 minutes.
    const bound = async (): Promise<Subject> => {
      await device.refresh(device.session);
      const cookies = device.browser.cookies(publicUrl);
      const cookie = `${SESSION_COOKIE}=${cookies[SESSION_COOKIE] ?? ''}; ${BOUND_COOKIE}=${cookies[BOUND_COOKIE] ?? ''}`;
      return { name: 'bff session, bound (DBSC)', pid: bff.pid, load: { url, headers: { ...headers, cookie, 'x-csrf': '1' } } };
    };
    const check = await fetch(url, { headers: (await bound()).load.headers });
    if (check.status !== 200) throw new Error(`the bound session answered ${check.status}, not 200`);
    for (const subject of [unbound, await bound()]) await generator.run({ ...subject.load, connections: options.connections, seconds: 2 });
    const runs: Measurement[] = [];
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const subject of [floor, bare, unbound, await bound()]) runs.push(await progress(measure(generator, subject, options.connections, options.duration, 400 + round)));
    }
    const boundName = 'bff session, bound (DBSC)';
    const vsUnbound = row(runs, '', boundName, unbound.name).vsFloor;
    const shown = vsUnbound ? `÷ the unbound session on the same BFF: req/s ${vsUnbound.rps.median.toFixed(2)}×, CPU ${vsUnbound.cpu.median.toFixed(2)}×` : '';
    return {
      runs,
      rows: [
        row(runs, 'b: single session, SESSION_DEVICE_BINDING=on, unbound', unbound.name, floor.name, bare.name),
        { ...row(runs, 'b: single session, device-bound (bound cookie checked)', boundName, floor.name, bare.name), note: shown },
      ],
    };
  } finally {
    await bff.stop();
    await idp.stop();
  }
}
