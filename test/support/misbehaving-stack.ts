import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import { onFreePort } from './free-port';
import { MisbehavingIdp, ROGUE_CLIENT, type MisbehavingIdpOptions } from './misbehaving-idp';
import { startTestApp, type TestApp } from './test-app';
import { TestBrowser, type BrowserResponse } from './test-browser';

export interface MisbehavingStack {
  app: TestApp;
  idp: MisbehavingIdp;
  upstream: EchoUpstream;
  publicUrl: string;
  /** Starts a login as `user-<who>` and follows it to the BFF's callback answer (302 on success). */
  login(browser: TestBrowser, who?: string): Promise<BrowserResponse>;
  /** A browser with a session, or an error naming how the login ended. */
  signedIn(who?: string): Promise<TestBrowser>;
  stop(): Promise<void>;
}

/** The BFF against the misbehaving provider, with an echo upstream behind /api, /admins-only, /machines and /cc. */
export async function startMisbehavingStack(env: Record<string, string> = {}, options: MisbehavingIdpOptions = {}): Promise<MisbehavingStack> {
  const idp = await MisbehavingIdp.start(options);
  const upstream = await startEchoUpstream();
  const routesFile = join(tmpdir(), `bff-rogue-routes-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(
    routesFile,
    `routes:
  - path: /admins-only
    upstream: ${upstream.url}
    groups: [admins]
  - path: /machines
    upstream: ${upstream.url}
    auth: bearer
  - path: /cc
    upstream: ${upstream.url}
    auth: client_credentials
`,
  );
  const { port, app } = await onFreePort(async (port) => ({
    port,
    app: await startTestApp({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: ROGUE_CLIENT.id,
      OIDC_CLIENT_SECRET: ROGUE_CLIENT.secret,
      CONSUMER_OPTIONAL: 'true',
      UPSTREAM_URL: upstream.url,
      ROUTES_FILE: routesFile,
      RATE_LIMIT_LOGIN: 'off',
      RATE_LIMIT_CREDENTIAL_FAILURES: 'off',
      ...env,
    }),
  }));
  const publicUrl = `http://127.0.0.1:${port}`;
  const login = async (browser: TestBrowser, who = 'alice') => {
    const start = await browser.get(`${publicUrl}/auth/login?returnTo=/&login_hint=${who}`);
    if (!start.location) return start;
    const authorize = await browser.get(start.location);
    return authorize.location?.startsWith(`${publicUrl}/auth/callback`) ? browser.get(authorize.location) : authorize;
  };
  return {
    app,
    idp,
    upstream,
    publicUrl,
    login,
    signedIn: async (who) => {
      const browser = new TestBrowser();
      const answer = await login(browser, who);
      if (answer.status !== 302 || !browser.cookies(publicUrl)['bff-session']) throw new Error(`login failed: ${answer.status} ${answer.body}`);
      return browser;
    },
    stop: async () => {
      await app.stop();
      await upstream.stop();
      await idp.stop();
    },
  };
}
