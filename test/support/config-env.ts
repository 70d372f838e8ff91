import type { ConfigResult } from '../../src/config/app-config';

/** The fewest variables the configuration accepts (for specs of the schema). */
export const MINIMAL_ENV = {
  ADMIN_TOKEN: 'a-secret-admin-token-that-is-long-enough',
  PUBLIC_URL: 'https://app.example.com',
  OIDC_ISSUER: 'https://example.okta.com/oauth2/default',
  OIDC_CLIENT_ID: 'client',
  OIDC_CLIENT_SECRET: 'super-secret-client-secret',
  TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 7).toString('base64'),
};

export function problemsOf(result: ConfigResult): string[] {
  return result.ok ? [] : result.problems;
}
