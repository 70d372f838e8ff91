import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { DevIdp } from '../test/support/dev-idp/dev-idp';
import { TestBrowser } from '../test/support/test-browser';
import { median, percentile } from './measure';
import { cpuMicros } from './processes';

export const SESSION_COOKIE = 'bff-session';

/** Signs in through the real flow (BFF → dev IdP login form → callback) and returns the session id. */
export async function signIn(publicUrl: string, username: string): Promise<string> {
  const browser = new TestBrowser();
  const login = await browser.loginWithForm(`${publicUrl}/auth/login?returnTo=%2F`, username, `${username}-password`);
  const sessionId = browser.cookies(publicUrl)[SESSION_COOKIE];
  if (!sessionId) throw new Error(`login as ${username} failed: ${login.visited.join(' -> ')} ended with ${login.response.status}`);
  return sessionId;
}

export interface StormResult {
  requests: number;
  /** Token-endpoint refresh grants the IdP answered during the storm. */
  tokenCalls: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface StormSetup {
  bffUrl: string;
  bffPid: number;
  idp: DevIdp;
  /** Seconds from a token's issue until the BFF considers it due (IdP TTL − TOKEN_REFRESH_SKEW). */
  dueAfterSeconds: number;
  concurrency: number;
  storms: number;
}

/**
 * A refresh storm: `concurrency` requests of one session fired at once just after its access token became due.
 * Connections are opened beforehand, so the latencies are the BFF's (and the IdP's), not TCP handshakes.
 */
export async function refreshStorms(setup: StormSetup): Promise<{ idpTokenMs: number; storms: StormResult[]; cpuUsPerRequest: number }> {
  const idpTokenMs = await idpTokenLatency(setup.idp);
  const sessionId = await signIn(setup.bffUrl, 'bob');
  let tokenIssuedAt = Date.now();
  const pool = new Pool(setup.bffUrl, { connections: setup.concurrency, pipelining: 1 });
  const storms: StormResult[] = [];
  let cpu = 0;
  let requests = 0;
  try {
    await Promise.all(Array.from({ length: setup.concurrency }, () => pool.request({ path: '/api/warm', method: 'GET' }).then((r) => r.body.dump())));
    for (let storm = 0; storm < setup.storms; storm += 1) {
      await sleep(Math.max(0, tokenIssuedAt + setup.dueAfterSeconds * 1000 + 300 - Date.now()));
      const callsBefore = setup.idp.counters.refreshToken;
      const cpuBefore = cpuMicros(setup.bffPid);
      const results = await Promise.all(Array.from({ length: setup.concurrency }, () => timedRequest(pool, sessionId)));
      cpu += cpuMicros(setup.bffPid) - cpuBefore;
      requests += results.length;
      tokenIssuedAt = Date.now();
      const latencies = results.map((result) => result.ms);
      storms.push({
        requests: results.length,
        tokenCalls: setup.idp.counters.refreshToken - callsBefore,
        failures: results.filter((result) => result.status !== 200).length,
        p50Ms: median(latencies),
        p99Ms: percentile(latencies, 0.99),
        maxMs: Math.max(...latencies),
      });
    }
  } finally {
    await pool.close();
  }
  return { idpTokenMs, storms, cpuUsPerRequest: requests > 0 ? cpu / requests : 0 };
}

async function timedRequest(pool: Pool, sessionId: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  try {
    const response = await pool.request({ path: '/api/orders/42', method: 'GET', headers: { cookie: `${SESSION_COOKIE}=${sessionId}`, 'x-csrf': '1' } });
    await response.body.dump();
    return { status: response.statusCode, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

/** The IdP's own token-endpoint latency (client_credentials grants, median of a few), for the storm's yardstick. */
async function idpTokenLatency(idp: DevIdp): Promise<number> {
  const samples: number[] = [];
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const started = performance.now();
    await idp.issueClientCredentialsToken();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

export interface LoginRate {
  logins: number;
  failures: number;
  seconds: number;
  perSecond: number;
  meanMs: number;
  /** The BFF's CPU per completed login (the IdP runs in the bench process and is not counted). */
  bffCpuUsPerLogin: number;
}

/** Full logins (authorize redirect, IdP form, callback, code exchange, session write) by `concurrency` browsers. */
export async function loginRate(publicUrl: string, bffPid: number, seconds: number, concurrency: number): Promise<LoginRate> {
  const deadline = Date.now() + seconds * 1000;
  const cpuBefore = cpuMicros(bffPid);
  const started = performance.now();
  let logins = 0;
  let failures = 0;
  let busyMs = 0;
  const users = ['alice', 'bob', 'carol'];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (Date.now() < deadline) {
        const begun = performance.now();
        try {
          await signIn(publicUrl, users[lane % users.length] ?? 'alice');
          logins += 1;
          busyMs += performance.now() - begun;
        } catch {
          failures += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    logins,
    failures,
    seconds: elapsed,
    perSecond: logins / elapsed,
    meanMs: logins > 0 ? busyMs / logins : 0,
    bffCpuUsPerLogin: logins > 0 ? (cpuMicros(bffPid) - cpuBefore) / logins : 0,
  };
}
