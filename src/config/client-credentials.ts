import { readClientKey, type ClientKey } from './client-key';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** How the BFF authenticates itself at the IdP's endpoints: with its secret (three ways), or with its private key. */
export type ClientAuthSettings =
  | { method: Exclude<ClientAuthMethod, 'private_key_jwt'>; secret: string }
  | { method: 'private_key_jwt'; key: ClientKey };

/**
 * The client's secret or key, checked beside the schema (so that a missing secret is reported with every other missing
 * variable): OIDC_CLIENT_SECRET unless the method is private_key_jwt, then OIDC_CLIENT_PRIVATE_KEY_FILE. A key file set
 * with another method is read all the same: /auth/jwks serves it before the switch, as an IdP needs it registered first.
 */
export function readClientCredentials(env: Record<string, string | undefined>): { problems: string[]; key?: ClientKey } {
  const method = env['OIDC_TOKEN_ENDPOINT_AUTH_METHOD'] || 'client_secret_basic';
  const file = env['OIDC_CLIENT_PRIVATE_KEY_FILE'] || undefined;
  const problems: string[] = [];
  if (method !== 'private_key_jwt' && !env['OIDC_CLIENT_SECRET']) problems.push('OIDC_CLIENT_SECRET: is required');
  if (method === 'private_key_jwt' && !file) problems.push('OIDC_CLIENT_PRIVATE_KEY_FILE: is required with OIDC_TOKEN_ENDPOINT_AUTH_METHOD=private_key_jwt');
  if (!file) return { problems };
  const read = readClientKey(file);
  return read.ok ? { problems, key: read.key } : { problems: [...problems, read.problem] };
}

export function clientAuthSettings(method: ClientAuthMethod, secret: string | undefined, key: ClientKey | undefined): ClientAuthSettings {
  if (method === 'private_key_jwt') {
    if (!key) throw new Error('private_key_jwt without a key: readClientCredentials reports this first');
    return { method, key };
  }
  if (secret === undefined) throw new Error('a secret method without OIDC_CLIENT_SECRET: readClientCredentials reports this first');
  return { method, secret };
}
