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
 * The BFF sends access tokens as `Authorization: Bearer`, so it takes only Bearer tokens (RFC 6749 §7.1: the type is
 * case-insensitive); openid-client also lets `DPoP` through, which would need a proof the BFF does not make.
 */
export function toTokenResult(response: TokenEndpointResponse & TokenEndpointResponseHelpers, now = Date.now()): TokenResult {
  if (typeof response.access_token !== 'string' || response.access_token === '') throw new InvalidIdpAnswer('access_token');
  if (typeof response.token_type !== 'string' || response.token_type.toLowerCase() !== 'bearer') throw new InvalidIdpAnswer('token_type');
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    idToken: response.id_token,
    expiresAt: now + (response.expiresIn() ?? DEFAULT_LIFETIME_SECONDS) * 1000,
    scope: response.scope,
  };
}
