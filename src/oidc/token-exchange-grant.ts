import * as client from 'openid-client';
import { InvalidIdpAnswer } from './idp-errors';
import { toTokenResult, type TokenResult } from './token-result';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * RFC 8693 §2.1: the caller's access token (the subject) for an access token meant for `target` (its audience,
 * resource and scope), with the BFF's own client authentication. Only an access token is taken back (§2.2.1): a
 * Bearer one, or with a DPoP handle one bound to the subject's key (its proof goes along).
 */
export async function tokenExchangeGrant(
  config: client.Configuration,
  subjectToken: string,
  target: Readonly<Record<string, string>>,
  dpop?: client.DPoPHandle,
): Promise<TokenResult> {
  const parameters = { ...target, subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, requested_token_type: ACCESS_TOKEN_TYPE };
  const response = await client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, parameters, dpop && { DPoP: dpop });
  const issued = response['issued_token_type'];
  if (issued !== undefined && issued !== ACCESS_TOKEN_TYPE) throw new InvalidIdpAnswer('issued_token_type');
  return toTokenResult(response, Date.now(), dpop ? 'dpop' : 'bearer');
}
