import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { requestClientCredentialsToken } from '../dev/idp/machine-token';
import { TestBrowser } from '../test/support/test-browser';
import { median, percentile } from './measure';
import { cpuMicros } from './processes';
import type { IdpProcess } from './targets';

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
  /** The first answer: about when the refresh was done. */
  minMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface StormSetup {
  bffUrl: string;
  bffPid: number;
  idp: IdpProcess;
  /** Seconds from a token's issue until the BFF considers it due (IdP TTL − TOKEN_REFRESH_SKEW). */
  dueAfterSeconds: number;
  concurrency: number;
  storms: number;
  /** Load on the signed-in session before its token is due, so that the storm meets warm code. */
  warmUp?: (sessionId: string) => Promise<void>;
  /** The refresh token of a session, to time refresh grants at the IdP directly. */
  refreshTokenOf: (sessionId: string) => Promise<string>;
  /** The bare proxy, for the machine's own cost of such a burst. */
  bare: { url: string; path: string };
}

export interface StormReport {
  /** Median latency of a refresh_token grant at the IdP, timed from the bench: the storm's yardstick. */
  idpRefreshMs: number;
  /** Median latency of a client_credentials grant (for comparison). */
  idpClientCredentialsMs: number;
  storms: StormResult[];
  /** The same burst while the token is fresh: what the storm costs on top of the refresh itself. */
  burst: StormResult;
  /** The same burst through the bare proxy: what 200 concurrent calls cost on this machine at all. */
  bareBurst: StormResult;
  cpuUsPerRequest: number;
}

/**
 * A refresh storm: `concurrency` requests of one session fired at once just after its access token became due.
 * Connections are opened beforehand, so the latencies are the BFF's (and the IdP's), not TCP handshakes.
 */
export async function refreshStorms(setup: StormSetup): Promise<StormReport> {
  const idpClientCredentialsMs = await idpTokenLatency(setup.idp);
  const idpRefreshMs = await idpRefreshLatency(setup.idp, await setup.refreshTokenOf(await signIn(setup.bffUrl, 'carol')));
  const sessionId = await signIn(setup.bffUrl, 'bob');
  let tokenIssuedAt = Date.now();
  const pool = new Pool(setup.bffUrl, { connections: setup.concurrency, pipelining: 1 });
  const storms: StormResult[] = [];
  let burst: StormResult | undefined;
  let cpu = 0;
  let requests = 0;
  try {
    await setup.warmUp?.(sessionId);
    await Promise.all(Array.from({ length: setup.concurrency }, () => pool.request({ path: '/api/warm', method: 'GET' }).then((r) => r.body.dump())));
    burst = await burstThrough(setup.bffUrl, '/api/orders/42', setup.concurrency, sessionId);
    for (let storm = 0; storm < setup.storms; storm += 1) {
      await sleep(Math.max(0, tokenIssuedAt + setup.dueAfterSeconds * 1000 + 300 - Date.now()));
      const callsBefore = await setup.idp.refreshGrants();
      const cpuBefore = cpuMicros(setup.bffPid);
      const results = await Promise.all(Array.from({ length: setup.concurrency }, () => timedRequest(pool, sessionId)));
      cpu += cpuMicros(setup.bffPid) - cpuBefore;
      requests += results.length;
      tokenIssuedAt = Date.now();
      storms.push(summary(results, (await setup.idp.refreshGrants()) - callsBefore));
    }
  } finally {
    await pool.close();
  }
  if (!burst) throw new Error('the burst did not run');
  const bareBurst = await burstThrough(setup.bare.url, setup.bare.path, setup.concurrency);
  return { idpRefreshMs, idpClientCredentialsMs, storms, burst, bareBurst, cpuUsPerRequest: requests > 0 ? cpu / requests : 0 };
}

function summary(results: readonly { status: number; ms: number }[], tokenCalls: number): StormResult {
  const latencies = results.map((result) => result.ms);
  return {
    requests: results.length,
    tokenCalls,
    failures: results.filter((result) => result.status !== 200).length,
    minMs: Math.min(...latencies),
    p50Ms: median(latencies),
    p99Ms: percentile(latencies, 0.99),
    maxMs: Math.max(...latencies),
  };
}

/** Warm connections first, then one burst: the best of three, as the first ones pay for new upstream connections. */
async function burstThrough(url: string, path: string, concurrency: number, sessionId = ''): Promise<StormResult> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  try {
    const bursts: StormResult[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      bursts.push(summary(await Promise.all(Array.from({ length: concurrency }, () => timedRequest(pool, sessionId, path))), 0));
    }
    return bursts.reduce((best, next) => (next.p99Ms < best.p99Ms ? next : best));
  } finally {
    await pool.close();
  }
}

async function timedRequest(pool: Pool, sessionId: string, path = '/api/orders/42'): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  try {
    const headers: Record<string, string> = sessionId === '' ? {} : { cookie: `${SESSION_COOKIE}=${sessionId}`, 'x-csrf': '1' };
    const response = await pool.request({ path, method: 'GET', headers });
    await response.body.dump();
    return { status: response.statusCode, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

/** refresh_token grants with the BFF's client, each with the refresh token the previous one rotated in; median. */
async function idpRefreshLatency(idp: IdpProcess, firstRefreshToken: string): Promise<number> {
  const samples: number[] = [];
  let refreshToken = firstRefreshToken;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const started = performance.now();
    const response = await fetch(new URL('/token', idp.issuer), {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${idp.clientId}:${idp.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    const body = (await response.json()) as { refresh_token?: unknown };
    samples.push(performance.now() - started);
    if (!response.ok || typeof body.refresh_token !== 'string') throw new Error(`refresh grant failed: ${response.status}`);
    refreshToken = body.refresh_token;
  }
  return median(samples);
}

/** The IdP's client_credentials latency (median of a few), for comparison with the refresh grant. */
async function idpTokenLatency(idp: IdpProcess): Promise<number> {
  const samples: number[] = [];
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const started = performance.now();
    await requestClientCredentialsToken(new URL('/token', idp.issuer));
    samples.push(performance.now() - started);
  }
  return median(samples);
}

export interface LoginRate {
  logins: number;
  failures: number;
  /** Why the first failed login failed. */
  firstFailure?: string;
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
  let firstFailure: string | undefined;
  const users = ['alice', 'bob', 'carol'];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (Date.now() < deadline) {
        const begun = performance.now();
        try {
          await signIn(publicUrl, users[lane % users.length] ?? 'alice');
          logins += 1;
          busyMs += performance.now() - begun;
        } catch (error: unknown) {
          failures += 1;
          firstFailure ??= error instanceof Error ? error.message.slice(0, 200) : String(error);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    logins,
    failures,
    firstFailure,
    seconds: elapsed,
    perSecond: logins / elapsed,
    meanMs: logins > 0 ? busyMs / logins : 0,
    bffCpuUsPerLogin: logins > 0 ? (cpuMicros(bffPid) - cpuBefore) / logins : 0,
  };
}
