import type { TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';
import { InvalidIdpAnswer } from './idp-errors';

export interface TokenResult {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  scope?: string;
  /** Verified ID token claims, when an ID token came with the response. */
  claims?: Record<string, unknown>;
}

const DEFAULT_LIFETIME_SECONDS = 300;

/**
 * The token type must be the one the BFF sends (RFC 6749 §7.1: case-insensitive): `DPoP` when the request carried a
 * proof (RFC 9449 §5: an IdP that answers `Bearer` did not bind the token, which the BFF then refuses), else `Bearer`.
 */
export function toTokenResult(response: TokenEndpointResponse & TokenEndpointResponseHelpers, now = Date.now(), expectedType: 'bearer' | 'dpop' = 'bearer'): TokenResult {
  if (typeof response.access_token !== 'string' || response.access_token === '') throw new InvalidIdpAnswer('access_token');
  if (typeof response.token_type !== 'string' || response.token_type.toLowerCase() !== expectedType) throw new InvalidIdpAnswer('token_type');
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    idToken: response.id_token,
    expiresAt: now + (response.expiresIn() ?? DEFAULT_LIFETIME_SECONDS) * 1000,
    scope: response.scope,
  };
}
