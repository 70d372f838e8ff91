import type { ServerMetadata } from 'openid-client';
import type { OidcConfig } from '../config/app-config';
import { ALGORITHMS_BY_KEY_TYPE } from '../config/client-key';
import { assertionAlgorithm } from './assertion-algorithm';

/** Each endpoint the BFF authenticates at (none: the token endpoint, always there) and its list of methods. */
const ENDPOINT_METHOD_LISTS = [
  [undefined, 'token_endpoint_auth_methods_supported'],
  ['introspection_endpoint', 'introspection_endpoint_auth_methods_supported'],
  ['revocation_endpoint', 'revocation_endpoint_auth_methods_supported'],
] as const;

/**
 * What the client authentication and PAR settings ask of the IdP and its discovery document says it lacks. A list the
 * document leaves out says nothing either way (RFC 8414 §2 makes each optional).
 */
export function clientAuthProblems(metadata: ServerMetadata, settings: Pick<OidcConfig, 'clientAuth' | 'par'>): string[] {
  const problems: string[] = [];
  const { clientAuth } = settings;
  if (settings.par === 'on' && !metadata.pushed_authorization_request_endpoint) {
    problems.push('OIDC_PAR: is on, but the identity provider has no pushed_authorization_request_endpoint');
  }
  if (settings.par === 'off' && metadata.require_pushed_authorization_requests === true) {
    problems.push('OIDC_PAR: is off, but the identity provider requires pushed authorization requests (require_pushed_authorization_requests)');
  }
  // The PAR endpoint takes the token endpoint's methods (RFC 9126 §2); introspection and revocation may list their own.
  for (const [endpoint, list] of ENDPOINT_METHOD_LISTS) {
    const methods = metadata[list];
    if (endpoint !== undefined && metadata[endpoint] === undefined) continue;
    if (Array.isArray(methods) && methods.length > 0 && !methods.includes(clientAuth.method)) {
      problems.push(`OIDC_TOKEN_ENDPOINT_AUTH_METHOD: is ${clientAuth.method}, but the identity provider lists only ${methods.join(', ')} (${list})`);
    }
  }
  const algorithms = metadata.token_endpoint_auth_signing_alg_values_supported;
  const listed = algorithms?.length ? algorithms : undefined;
  if (clientAuth.method === 'client_secret_jwt' && listed && !listed.includes('HS256')) {
    problems.push(`OIDC_TOKEN_ENDPOINT_AUTH_METHOD: client_secret_jwt signs with HS256, which the identity provider does not list (token_endpoint_auth_signing_alg_values_supported: ${listed.join(', ')})`);
  }
  if (clientAuth.method === 'private_key_jwt' && listed && assertionAlgorithm(clientAuth.key, listed) === undefined) {
    const { type, alg } = clientAuth.key;
    const fitting = alg === undefined ? ALGORITHMS_BY_KEY_TYPE[type] : [alg];
    problems.push(`OIDC_CLIENT_PRIVATE_KEY_FILE: its ${type} key signs with ${fitting.join(' or ')}, none of which the identity provider lists (token_endpoint_auth_signing_alg_values_supported: ${listed.join(', ')})`);
  }
  return problems;
}
