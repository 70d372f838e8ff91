import type { ClientMetadata } from 'oidc-provider';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange-grant';

export const BFF_CLIENT_ID = 'bff';
export const BFF_CLIENT_SECRET = 'bff-dev-secret-0123456789abcdef';
export const MACHINE_CLIENT_ID = 'machine';
export const MACHINE_CLIENT_SECRET = 'machine-dev-secret-0123456789abcdef';

/** Audience of every JWT access token unless a request names another resource. */
export const DEFAULT_RESOURCE = 'api://default';
/** A resource whose access tokens are opaque, to exercise RFC 7662 introspection. */
export const OPAQUE_RESOURCE = 'api://opaque';
export const API_SCOPES = ['orders:read', 'orders:write'] as const;
/** OIDC scopes also listed on the resource, so user access tokens carry them in `scope` like Okta's do. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export interface MainClientOptions {
  redirectUris: readonly string[];
  postLogoutRedirectUris: readonly string[];
  backchannelLogoutUri?: string;
  /** RFC 8693: the BFF exchanges callers' tokens for routes' upstreams. */
  tokenExchange?: boolean;
  /** Another client authentication than client_secret_basic (private_key_jwt with its jwks or jwks_uri, client_secret_jwt). */
  authentication?: Partial<ClientMetadata>;
}

export function bffClient({ redirectUris, postLogoutRedirectUris, backchannelLogoutUri, tokenExchange = false, authentication }: MainClientOptions): ClientMetadata {
  return {
    client_id: BFF_CLIENT_ID,
    client_secret: BFF_CLIENT_SECRET,
    client_name: 'BFF',
    // client_secret_post is accepted too: oidc-provider 9 takes either secret method for a secret-based client.
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', ...(tokenExchange ? [TOKEN_EXCHANGE_GRANT] : [])],
    response_types: ['code'],
    redirect_uris: [...redirectUris],
    post_logout_redirect_uris: [...postLogoutRedirectUris],
    // Okta's ID tokens always carry auth_time; a route's max_age is judged by it.
    require_auth_time: true,
    ...(backchannelLogoutUri
      ? { backchannel_logout_uri: backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
    ...authentication,
  };
}

export function machineClient(): ClientMetadata {
  return {
    client_id: MACHINE_CLIENT_ID,
    client_secret: MACHINE_CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  };
}
