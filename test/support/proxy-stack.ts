import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import type { DevIdpOptions } from '../../dev/idp/dev-idp';
import { startLoginStack, type LoginStack } from './login-stack';

export interface ProxyStack extends LoginStack {
  upstream: EchoUpstream;
  routesFile: string;
}

/** Login stack plus an echo upstream behind `/api` and a routes file exercising every route option. */
export async function startProxyStack(env: Record<string, string | undefined> = {}, idp: DevIdpOptions = {}): Promise<ProxyStack> {
  const upstream = await startEchoUpstream();
  const routesFile = join(tmpdir(), `bff-routes-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(
    routesFile,
    `routes:
  - path: /admins-only
    upstream: ${upstream.url}
    groups: [admins]
  - path: /orders
    upstream: ${upstream.url}/v1
    strip_path: true
    scopes: [orders:read]
  - path: /aud
    upstream: ${upstream.url}
    audience: api://elsewhere
  - path: /machines
    upstream: ${upstream.url}
    auth: bearer
  - path: /cc
    upstream: ${upstream.url}
    auth: client_credentials
  - path: /public
    upstream: ${upstream.url}
    auth: none
  - path: /with-id-token
    upstream: ${upstream.url}
    auth: session
    token: id
  - path: /keep-prefix
    upstream: ${upstream.url}
    strip_path: false
  - path: /slow
    upstream: ${upstream.url}
    timeout_ms: 300
  - path: /down
    upstream: http://127.0.0.1:9
`,
  );
  const stack = await startLoginStack({ UPSTREAM_URL: upstream.url, ROUTES_FILE: routesFile, ...env }, idp);
  return {
    ...stack,
    upstream,
    routesFile,
    stop: async () => {
      await stack.stop();
      await upstream.stop();
    },
  };
}
