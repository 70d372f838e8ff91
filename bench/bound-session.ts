import { freePort } from '../test/support/free-port';
import { DbscBrowser } from '../test/support/dbsc-browser';
import { signIn, SESSION_COOKIE } from './flows';
import type { LoadGenerator } from './load';
import { measure, summarise, type Measurement, type Subject } from './measure';
import type { BenchOptions } from './options';
import type { Report } from './report';
import { startIdpProcess, type BffTarget } from './targets';

const BOUND_COOKIE = `${SESSION_COOKIE}-bound`;

export interface BoundSessionSetup {
  options: BenchOptions;
  generator: LoadGenerator;
  bffEnv: (port: number, adminPort: number, extra?: Record<string, string>) => Record<string, string>;
  launch: (name: string, env: Record<string, string>) => Promise<BffTarget>;
  /** The bare proxy, measured in the same rounds for the usual ratios. */
  bare: Subject;
  headers: Record<string, string>;
  progress: (pending: Promise<Measurement>) => Promise<Measurement>;
}

/**
 * Scenario b: scenario 1 against a BFF with SESSION_DEVICE_BINDING=on (an IdP of its own, so nothing else changes),
 * an unbound session and a device-bound one (registered by the DBSC test browser) in the same rounds. Their ratio is
 * what the bound-cookie check costs on the hot path: one more cookie read and one HMAC.
 */
export async function boundSessionScenario(setup: BoundSessionSetup): Promise<{ runs: Measurement[]; scenarios: Report['scenarios'] }> {
  const { options, generator, launch, bffEnv, bare, headers, progress } = setup;
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
      for (const subject of [bare, unbound, await bound()]) runs.push(await progress(measure(generator, subject, options.connections, options.duration, 400 + round)));
    }
    const bareName = bare.name;
    return {
      runs,
      scenarios: [
        { label: 'b = 1 against a BFF with SESSION_DEVICE_BINDING=on, unbound session', summary: summarise(runs, unbound.name, bareName) },
        { label: 'b = 1 with a device-bound session (bound cookie checked)', summary: summarise(runs, 'bff session, bound (DBSC)', bareName) },
        { label: 'b: the bound session ÷ the unbound one, same BFF, same rounds', summary: summarise(runs, 'bff session, bound (DBSC)', unbound.name) },
      ],
    };
  } finally {
    await bff.stop();
    await idp.stop();
  }
}
