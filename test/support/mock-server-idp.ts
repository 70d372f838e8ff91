import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface MockServerState {
  /** Refresh tokens as presented to the token endpoint, and as issued by it, in order. */
  refreshTokensPresented: string[];
  refreshTokensIssued: string[];
  revocations: number;
}

export interface MockServerIdp {
  issuer: string;
  state(): Promise<MockServerState>;
  /** A signed JWT access token from this issuer, as a machine client would get one. */
  machineToken(scope: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * oauth2-mock-server (npm, axa-group): a second, independent OpenID Provider for the core flows. It approves every
 * authorization request at once for the subject `johndoe`, checks PKCE, puts the nonce into the ID token and issues a
 * new refresh token on every refresh. Every token response says `expires_in: accessTokenTtlSeconds`.
 */
export async function startMockServerIdp(accessTokenTtlSeconds: number): Promise<MockServerIdp> {
  const script = join(__dirname, 'mock-server-process.mts');
  const child = spawn(process.execPath, ['--no-warnings', script, String(accessTokenTtlSeconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready when it says so; exiting first is the only failure (the test's own timeout guards a hang).
  const port = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening (\d+)/.exec(output);
      if (found?.[1]) resolve(found[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`oauth2-mock-server exited: ${output}`)));
  });
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    state: async () => (await (await fetch(`${issuer}/_test/state`)).json()) as MockServerState,
    machineToken: async (scope) => (await fetch(`${issuer}/_test/machine-token?scope=${encodeURIComponent(scope)}`)).text(),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
