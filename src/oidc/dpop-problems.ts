import type { ServerMetadata } from 'openid-client';

/** OIDC_DPOP=on needs an IdP that takes ES256 proofs (the BFF's keys are P-256), as its discovery must say. */
export function dpopProblems(metadata: ServerMetadata, dpop: boolean): string[] {
  const algorithms = metadata.dpop_signing_alg_values_supported;
  if (!dpop || algorithms?.includes('ES256')) return [];
  return [`OIDC_DPOP: is on, but the identity provider ${algorithms ? 'does not list ES256 in' : 'publishes no'} dpop_signing_alg_values_supported`];
}
