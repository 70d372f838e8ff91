import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { DevIdpOptions } from '../../dev/idp/dev-idp';
import { startEchoUpstream, type EchoBody, type EchoUpstream } from './echo-upstream';
import { startLoginStack, type LoginStack } from './login-stack';
import { startTestApp, type TestApp } from './test-app';
import type { TestBrowser } from './test-browser';

export interface ExchangeStack extends LoginStack {
  upstream: EchoUpstream;
  /** A second BFF instance on the same Redis, database and keys. */
  second: TestApp;
  /** A proxied call with the browser's session cookie and the CSRF header, or with an Authorization header. */
  call(caller: TestBrowser | { authorization: string }, path: string, base?: string): Promise<{ status: number; body: EchoBody & { error?: string } }>;
  /** The claims of a token the IdP signed, checked against its JWKS (a token it did not sign fails). */
  verifiedClaims(token: string): Promise<JWTPayload>;
}

/**
 * Routes `/orders` (audience api://orders, scope orders:read), `/invoices` (api://invoices), `/forbidden`
 * (api://forbidden), `/admins-orders` (groups admins, then api://orders), each exchanging the caller's token, and
 * `/api` that does not; OIDC_SCOPES asks for orders:read so a session's token may be narrowed to it.
 */
export async function startExchangeStack(
  env: Record<string, string | undefined> = {},
  idp: DevIdpOptions | ((publicUrl: string) => DevIdpOptions) = {},
  routesTo?: string,
): Promise<ExchangeStack> {
  const upstream = await startEchoUpstream();
  const target = routesTo ?? upstream.url;
  const routesFile = join(tmpdir(), `bff-exchange-routes-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(
    routesFile,
    `routes:
  - path: /orders
    upstream: ${target}
    token_exchange: { audience: 'api://orders', scope: 'orders:read' }
  - path: /invoices
    upstream: ${target}
    token_exchange: { audience: 'api://invoices' }
  - path: /forbidden
    upstream: ${target}
    token_exchange: { audience: 'api://forbidden' }
  - path: /admins-orders
    upstream: ${target}
    groups: [admins]
    token_exchange: { audience: 'api://orders', scope: 'orders:read' }
`,
  );
  const stack = await startLoginStack(
    { UPSTREAM_URL: upstream.url, ROUTES_FILE: routesFile, OIDC_SCOPES: 'openid profile email offline_access orders:read', RATE_LIMIT_LOGIN: '1000/60', ...env },
    idp,
  );
  stack.idp.deniedExchangeTargets.add('api://forbidden');
  const second = await startTestApp({ ...stack.app.env, PORT: '0' }, { database: stack.app.database });
  const keys = createRemoteJWKSet(new URL(`${stack.idp.issuer}/jwks`));
  return {
    ...stack,
    upstream,
    second,
    call: async (caller, path, base = stack.publicUrl) => {
      const headers = 'authorization' in caller ? { authorization: caller.authorization } : { 'x-csrf': '1', cookie: caller.cookieHeader(stack.publicUrl) ?? '' };
      const response = await fetch(`${base}${path}`, { headers });
      return { status: response.status, body: (await response.json()) as EchoBody & { error?: string } };
    },
    verifiedClaims: async (token) => (await jwtVerify(token, keys, { issuer: stack.idp.issuer })).payload,
    stop: async () => {
      await second.close();
      await stack.stop();
      await upstream.stop();
    },
  };
}

/** The token an echoed request carried as its bearer. */
export function bearerOf(body: EchoBody): string {
  return String(body.headers['authorization']).replace(/^Bearer /, '');
}
