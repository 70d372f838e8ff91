import { idpFeatureProblems } from './idp-feature-problems';

const ISSUER = 'https://idp.example.test';
const needs = { userinfo: false, tokenExchangeRoutes: [], dpop: true };

describe('idpFeatureProblems for OIDC_DPOP', () => {
  it('refuses an IdP that publishes no DPoP algorithms, or not ES256, naming OIDC_DPOP', () => {
    expect(idpFeatureProblems({ issuer: ISSUER }, needs)).toEqual(['OIDC_DPOP: is on, but the identity provider publishes no dpop_signing_alg_values_supported']);
    expect(idpFeatureProblems({ issuer: ISSUER, dpop_signing_alg_values_supported: ['RS256', 'EdDSA'] }, needs)).toEqual([
      'OIDC_DPOP: is on, but the identity provider does not list ES256 in dpop_signing_alg_values_supported',
    ]);
  });

  it('takes an IdP listing ES256, and asks nothing of one while OIDC_DPOP is off', () => {
    expect(idpFeatureProblems({ issuer: ISSUER, dpop_signing_alg_values_supported: ['ES256'] }, needs)).toEqual([]);
    expect(idpFeatureProblems({ issuer: ISSUER }, { ...needs, dpop: false })).toEqual([]);
  });
});
