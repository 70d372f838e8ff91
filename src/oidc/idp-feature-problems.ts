import type { ServerMetadata } from 'openid-client';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange-grant';

/** What the configuration asks of the IdP for token exchange, userinfo and DPoP. */
export interface FeatureNeeds {
  /** OIDC_USERINFO. */
  userinfo: boolean;
  /** The paths of the routes with `token_exchange`. */
  tokenExchangeRoutes: readonly string[];
  /** OIDC_DPOP=on: the BFF's proofs are ES256. */
  dpop?: boolean;
}

/**
 * What the configuration asks for and the IdP's discovery document says it lacks, one line each, named by variable:
 * refused at start-up rather than at the first login or call. A document that lists no grant types says nothing
 * either way (the field is optional: RFC 8414 §2).
 */
export function idpFeatureProblems(metadata: ServerMetadata, needs: FeatureNeeds): string[] {
  const problems: string[] = [];
  if (needs.userinfo && !metadata.userinfo_endpoint) problems.push('OIDC_USERINFO: is true, but the identity provider has no userinfo_endpoint');
  const grants = metadata.grant_types_supported;
  if (needs.tokenExchangeRoutes.length > 0 && grants !== undefined && !grants.includes(TOKEN_EXCHANGE_GRANT)) {
    problems.push(`ROUTES_FILE: ${needs.tokenExchangeRoutes.join(', ')} ask for token_exchange, but the identity provider does not offer ${TOKEN_EXCHANGE_GRANT} (grant_types_supported)`);
  }
  const dpopAlgorithms = metadata.dpop_signing_alg_values_supported;
  if (needs.dpop && !dpopAlgorithms?.includes('ES256')) {
    problems.push(`OIDC_DPOP: is on, but the identity provider ${dpopAlgorithms ? 'does not list ES256 in' : 'publishes no'} dpop_signing_alg_values_supported`);
  }
  return problems;
}
