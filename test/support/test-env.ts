import { randomBytes } from 'node:crypto';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';

export function randomKey(): string {
  return randomBytes(32).toString('base64');
}

/** The smallest valid environment; tests override what they exercise. */
export function baseEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    PUBLIC_URL: 'http://127.0.0.1:8000',
    OIDC_ISSUER: 'http://127.0.0.1:9',
    OIDC_CLIENT_ID: 'bff',
    OIDC_CLIENT_SECRET: 'test-client-secret',
    TOKEN_ENCRYPTION_KEYS: randomKey(),
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}
