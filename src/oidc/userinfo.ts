import * as client from 'openid-client';
import { InvalidIdpAnswer } from './idp-errors';

/**
 * The userinfo endpoint's claims for an access token (OIDC Core §5.3). Its `sub` must be the ID token's (§5.3.2):
 * another subject's claims are an answer the BFF refuses (`userinfo_sub`), never merged into this user's.
 */
export async function fetchUserinfo(config: client.Configuration, accessToken: string, expectedSubject: string, dpop?: client.DPoPHandle): Promise<Record<string, unknown>> {
  try {
    return { ...(await client.fetchUserInfo(config, accessToken, expectedSubject, dpop && { DPoP: dpop })) };
  } catch (error: unknown) {
    if (error instanceof client.ClientError && error.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') throw new InvalidIdpAnswer('userinfo_sub', error);
    throw error;
  }
}
