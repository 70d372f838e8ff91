import { startDevIdp, type DevIdp, type DevIdpOptions } from '../../dev/idp/dev-idp';
import { onFreePort } from './free-port';
import { startTestApp, type TestApp } from './test-app';
import { TestBrowser, type TestBrowserOptions } from './test-browser';

export interface LoginStack {
  app: TestApp;
  idp: DevIdp;
  publicUrl: string;
  browser(options?: TestBrowserOptions): TestBrowser;
  /** A browser signed in as `username` (password `<username>-password`), with the session cookie in its jar. */
  signedIn(username: string, returnTo?: string): Promise<TestBrowser>;
  stop(): Promise<void>;
}

/** The BFF and the development IdP wired to each other on loopback, against fresh Postgres and Redis state. */
export async function startLoginStack(
  env: Record<string, string | undefined> = {},
  idpOptions: DevIdpOptions | ((publicUrl: string) => DevIdpOptions) = {},
): Promise<LoginStack> {
  const { port, idp, app } = await onFreePort(async (port) => {
    const publicUrl = `http://127.0.0.1:${port}`;
    const idp = await startDevIdp({
      redirectUris: [`${publicUrl}/auth/callback`],
      postLogoutRedirectUris: [`${publicUrl}/`, `${publicUrl}/signed-out`],
      backchannelLogoutUri: `${publicUrl}/auth/backchannel-logout`,
      ...(typeof idpOptions === 'function' ? idpOptions(publicUrl) : idpOptions),
    });
    const app = await startTestApp({
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      CONSUMER_OPTIONAL: 'true',
      ...env,
    }).catch(async (error: unknown) => {
      await idp.stop();
      throw error;
    });
    return { port, idp, app };
  });
  const publicUrl = `http://127.0.0.1:${port}`;
  const browser = (options?: TestBrowserOptions) => new TestBrowser(options);
  return {
    app,
    idp,
    publicUrl,
    browser,
    signedIn: async (username, returnTo = '/') => {
      const client = browser();
      const login = await client.loginWithForm(`${publicUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, username, `${username}-password`);
      if (!client.cookies(publicUrl)['bff-session']) {
        throw new Error(`login as ${username} failed: ${login.visited.join(' -> ')} ended with ${login.response.status}`);
      }
      return client;
    },
    stop: async () => {
      await app.stop();
      await idp.stop();
    },
  };
}
