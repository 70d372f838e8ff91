import { join } from 'node:path';
import type { DevIdpOptions } from './idp/dev-idp';
import { ACR_SECOND_FACTOR } from './idp/authentication-levels';

/** The repository: this file runs from dev/ under jest and from .dev-build/dev/ once compiled. */
export const REPO_ROOT = __filename.endsWith('.ts') ? join(__dirname, '..') : join(__dirname, '..', '..');
/** The example SPA, served by the BFF through SPA_DIR. */
export const EXAMPLE_SPA_DIR = join(REPO_ROOT, 'examples', 'spa');

/** The IdP's registration of the BFF: redirect URIs must match the BFF's PUBLIC_URL exactly. */
export function demoIdpRegistration(publicUrl: string, backchannelBase = publicUrl): DevIdpOptions {
  return {
    redirectUris: [`${publicUrl}/auth/callback`],
    postLogoutRedirectUris: [`${publicUrl}/`],
    backchannelLogoutUri: `${backchannelBase}/auth/backchannel-logout`,
  };
}

export interface DemoBffInput {
  publicUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  upstreamUrl: string;
  spaDir: string;
}

/** What makes a BFF the demo: users become consumers on first login, `/api` is the demo API, the SPA is served. */
export function demoBffEnv(input: DemoBffInput): Record<string, string> {
  return {
    PUBLIC_URL: input.publicUrl,
    OIDC_ISSUER: input.issuer,
    OIDC_CLIENT_ID: input.clientId,
    OIDC_CLIENT_SECRET: input.clientSecret,
    UPSTREAM_URL: input.upstreamUrl,
    UPSTREAM_HEADERS: 'email:X-User-Email',
    SPA_DIR: input.spaDir,
    CONSUMER_AUTO_CREATE: 'true',
  };
}

/**
 * The demo's routes beside UPSTREAM_URL's `/api` (which also carries the live WebSocket feed at `/api/live`): an
 * admins-only route, so bob sees a 403 where alice gets through, and a step-up route that needs the dev IdP's
 * second factor (the one-time code 123456).
 */
export function demoRoutes(upstreamUrl: string): string {
  return [
    'routes:',
    '  - path: /api/admin',
    `    upstream: ${upstreamUrl}/admin`,
    '    auth: session',
    '    groups: [admins]',
    '  - path: /api/step-up',
    `    upstream: ${upstreamUrl}/step-up`,
    '    auth: session',
    `    acr: [${ACR_SECOND_FACTOR}]`,
    '',
  ].join('\n');
}
