import type { ServerMetadata } from 'openid-client';
import type { OidcConfig } from '../config/app-config';
import { clientAuthProblems } from './client-auth-problems';
import { dpopProblems } from './dpop-problems';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange-grant';

/** What the configuration asks of the IdP: token exchange, userinfo, client authentication, PAR and DPoP. */
export interface FeatureNeeds extends Pick<OidcConfig, 'clientAuth' | 'par'> {
  /** OIDC_USERINFO. */
  userinfo: boolean;
  /** The paths of the routes with `token_exchange`. */
  tokenExchangeRoutes: readonly string[];
  /** OIDC_DPOP=on: the BFF's proofs are ES256. */
  dpop?: boolean;
}

/** Whether the configuration asks anything of the IdP beyond the defaults every IdP offers (then start-up awaits discovery). */
export function asksOfIdp(needs: FeatureNeeds): boolean {
  return needs.userinfo || needs.tokenExchangeRoutes.length > 0 || needs.par !== 'auto' || needs.clientAuth.method !== 'client_secret_basic' || needs.dpop === true;
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
  return [...problems, ...clientAuthProblems(metadata, needs), ...dpopProblems(metadata, needs.dpop === true)];
}
