import { generateKeyPairSync } from 'node:crypto';
import type { ServerMetadata } from 'openid-client';
import type { ClientAuthSettings } from '../config/client-credentials';
import type { ClientKey, ClientKeyType } from '../config/client-key';
import { assertionAlgorithm } from './assertion-algorithm';
import { clientAuthProblems } from './client-auth-problems';

const issuer = 'https://idp.example.test';
const keyOf = (type: ClientKeyType, alg?: string): ClientKey => ({
  type,
  privateKey: generateKeyPairSync('ed25519').privateKey,
  publicJwk: { kty: type, kid: 'k', use: 'sig' },
  ...(alg !== undefined && { alg }),
});
const secret: ClientAuthSettings = { method: 'client_secret_jwt', secret: 's' };
const privateKey = (type: ClientKeyType, alg?: string): ClientAuthSettings => ({ method: 'private_key_jwt', key: keyOf(type, alg) });

describe('assertionAlgorithm', () => {
  it.each([
    ['RSA', ['ES256', 'PS256', 'RS256'], 'PS256'],
    ['RSA', ['RS256', 'PS256'], 'RS256'],
    ['EC', ['HS256', 'RS256', 'ES256'], 'ES256'],
    ['OKP', ['HS256', 'EdDSA'], 'EdDSA'],
    ['OKP', ['Ed25519', 'EdDSA'], 'Ed25519'],
    ['EC', ['RS256', 'PS256'], undefined],
  ] as const)('picks for a %s key the first the IdP lists that fits (%j → %s)', (type, listed, expected) => {
    expect(assertionAlgorithm(keyOf(type), listed)).toBe(expected);
  });

  it('takes the JWK file’s own alg only, and the key type’s usual one when the IdP lists none', () => {
    expect(assertionAlgorithm(keyOf('RSA', 'PS256'), ['RS256', 'PS256'])).toBe('PS256');
    expect(assertionAlgorithm(keyOf('RSA', 'PS256'), ['RS256'])).toBeUndefined();
    expect(assertionAlgorithm(keyOf('RSA'), undefined)).toBe('RS256');
    expect(assertionAlgorithm(keyOf('OKP'), [])).toBe('EdDSA');
  });
});

describe('clientAuthProblems', () => {
  const metadata = (extra: Partial<ServerMetadata>): ServerMetadata => ({ issuer, ...extra });

  it('refuses OIDC_PAR=on without a PAR endpoint, and takes auto and off without one', () => {
    const basic: ClientAuthSettings = { method: 'client_secret_basic', secret: 's' };
    expect(clientAuthProblems(metadata({}), { clientAuth: basic, par: 'on' })).toEqual([
      'OIDC_PAR: is on, but the identity provider has no pushed_authorization_request_endpoint',
    ]);
    expect(clientAuthProblems(metadata({}), { clientAuth: basic, par: 'auto' })).toEqual([]);
    expect(clientAuthProblems(metadata({ pushed_authorization_request_endpoint: `${issuer}/par` }), { clientAuth: basic, par: 'on' })).toEqual([]);
  });

  it('refuses OIDC_PAR=off when the IdP requires PAR', () => {
    const requires = metadata({ pushed_authorization_request_endpoint: `${issuer}/par`, require_pushed_authorization_requests: true });
    const basic: ClientAuthSettings = { method: 'client_secret_basic', secret: 's' };
    expect(clientAuthProblems(requires, { clientAuth: basic, par: 'off' })).toEqual([
      'OIDC_PAR: is off, but the identity provider requires pushed authorization requests (require_pushed_authorization_requests)',
    ]);
    expect(clientAuthProblems(requires, { clientAuth: basic, par: 'auto' })).toEqual([]);
  });

  it('refuses a method the IdP does not list, and says nothing when it lists none', () => {
    const listed = metadata({ token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'] });
    expect(clientAuthProblems(listed, { clientAuth: secret, par: 'off' })).toEqual([
      'OIDC_TOKEN_ENDPOINT_AUTH_METHOD: is client_secret_jwt, but the identity provider lists only client_secret_basic, private_key_jwt (token_endpoint_auth_methods_supported)',
    ]);
    expect(clientAuthProblems(metadata({}), { clientAuth: secret, par: 'off' })).toEqual([]);
  });

  it('refuses client_secret_jwt when HS256 is not listed, and a key no listed algorithm fits', () => {
    const algs = metadata({ token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256'] });
    expect(clientAuthProblems(algs, { clientAuth: secret, par: 'off' })).toEqual([
      'OIDC_TOKEN_ENDPOINT_AUTH_METHOD: client_secret_jwt signs with HS256, which the identity provider does not list (token_endpoint_auth_signing_alg_values_supported: RS256, PS256)',
    ]);
    expect(clientAuthProblems(algs, { clientAuth: privateKey('EC'), par: 'off' })).toEqual([
      'OIDC_CLIENT_PRIVATE_KEY_FILE: its EC key signs with ES256, none of which the identity provider lists (token_endpoint_auth_signing_alg_values_supported: RS256, PS256)',
    ]);
    expect(clientAuthProblems(algs, { clientAuth: privateKey('RSA'), par: 'off' })).toEqual([]);
  });

  it('refuses a method the introspection or revocation endpoint does not list, since the BFF authenticates there too', () => {
    const lists = (introspection: string[], revocation: string[]) =>
      metadata({
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
        introspection_endpoint: `${issuer}/introspect`,
        introspection_endpoint_auth_methods_supported: introspection,
        revocation_endpoint: `${issuer}/revoke`,
        revocation_endpoint_auth_methods_supported: revocation,
      });
    expect(clientAuthProblems(lists(['client_secret_basic'], ['client_secret_basic', 'client_secret_post']), { clientAuth: privateKey('EC'), par: 'off' })).toEqual([
      'OIDC_TOKEN_ENDPOINT_AUTH_METHOD: is private_key_jwt, but the identity provider lists only client_secret_basic (introspection_endpoint_auth_methods_supported)',
      'OIDC_TOKEN_ENDPOINT_AUTH_METHOD: is private_key_jwt, but the identity provider lists only client_secret_basic, client_secret_post (revocation_endpoint_auth_methods_supported)',
    ]);
    expect(clientAuthProblems(lists(['private_key_jwt'], ['private_key_jwt']), { clientAuth: privateKey('EC'), par: 'off' })).toEqual([]);
    // A list for an endpoint the IdP does not have says nothing.
    const withoutEndpoints = metadata({ introspection_endpoint_auth_methods_supported: ['client_secret_basic'], revocation_endpoint_auth_methods_supported: ['client_secret_basic'] });
    expect(clientAuthProblems(withoutEndpoints, { clientAuth: privateKey('EC'), par: 'off' })).toEqual([]);
  });
});
