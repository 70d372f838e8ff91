import type { TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';

export interface TokenResult {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  scope?: string;
  /** Validated ID token claims, when an ID token came with the response. */
  claims?: Record<string, unknown>;
}

const DEFAULT_LIFETIME_SECONDS = 300;

export function toTokenResult(response: TokenEndpointResponse & TokenEndpointResponseHelpers, now = Date.now()): TokenResult {
  const claims = response.claims();
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    idToken: response.id_token,
    expiresAt: now + (response.expiresIn() ?? DEFAULT_LIFETIME_SECONDS) * 1000,
    scope: response.scope,
    claims: claims ? { ...claims } : undefined,
  };
}
