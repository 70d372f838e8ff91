import { ClientSecretJwt, ClientSecretPost, modifyAssertion, PrivateKeyJwt, type ClientAuth } from 'openid-client';
import type { ClientAuthSettings } from '../config/client-credentials';
import type { ClientKey } from '../config/client-key';
import { assertionAlgorithm, signingKeyFor } from './assertion-algorithm';

const RESERVED_OR_OTHER = /[^A-Za-z0-9\-._~]/gu;

/**
 * RFC 6749 §2.3.1 asks for form-encoding before Basic; openid-client also escapes `-._~!*'()`. Servers that
 * percent-decode rather than form-decode (glewlwyd and older ones) then refuse such secrets, so only what RFC 3986
 * does not leave unreserved is escaped: the result reads the same under either decoding.
 */
export function basicCredentialPart(value: string): string {
  return value.replace(RESERVED_OR_OTHER, (character) => percentEncoded(character));
}

function percentEncoded(character: string): string {
  return [...Buffer.from(character, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

export function clientSecretBasic(clientSecret: string): ClientAuth {
  return (_server, client, _body, headers) => {
    const credentials = `${basicCredentialPart(client.client_id)}:${basicCredentialPart(clientSecret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
  };
}

/**
 * The BFF's own authentication at every IdP endpoint it calls (token, PAR, introspection, revocation, token exchange):
 * the Configuration made at discovery carries it. The assertions are openid-client's: `iss` = `sub` = client id,
 * `aud` = the issuer, a random `jti`, `exp` 60 s after `iat`.
 */
export function clientAuthentication(settings: ClientAuthSettings): ClientAuth {
  switch (settings.method) {
    case 'client_secret_basic':
      return clientSecretBasic(settings.secret);
    case 'client_secret_post':
      return ClientSecretPost(settings.secret);
    case 'client_secret_jwt':
      return ClientSecretJwt(settings.secret);
    case 'private_key_jwt':
      return privateKeyJwt(settings.key);
  }
}

/** Thrown when the IdP lists assertion algorithms and none fits the key (refused at start-up when the IdP is up then). */
export class NoAssertionAlgorithm extends Error {
  constructor() {
    super('the identity provider lists no token_endpoint_auth_signing_alg_values_supported that OIDC_CLIENT_PRIVATE_KEY_FILE can sign with');
  }
}

/** PrivateKeyJwt with the algorithm picked from the server metadata of the call; one Web Crypto key per algorithm. */
function privateKeyJwt(key: ClientKey): ClientAuth {
  const byAlgorithm = new Map<string, ClientAuth>();
  return (server, client, body, headers) => {
    const alg = assertionAlgorithm(key, server.token_endpoint_auth_signing_alg_values_supported);
    if (alg === undefined) throw new NoAssertionAlgorithm();
    let authenticate = byAlgorithm.get(alg);
    if (!authenticate) {
      // openid-client names an Ed25519 key's algorithm Ed25519 (RFC 9864); an IdP that lists only EdDSA gets that.
      const header = { [modifyAssertion]: (jws: Record<string, unknown>) => Object.assign(jws, { alg, kid: key.publicJwk.kid }) };
      authenticate = PrivateKeyJwt({ key: signingKeyFor(key.privateKey, alg), kid: key.publicJwk.kid }, header);
      byAlgorithm.set(alg, authenticate);
    }
    return authenticate(server, client, body, headers);
  };
}
