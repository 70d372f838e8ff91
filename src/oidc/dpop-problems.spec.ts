import { oidcSettings } from '../../test/support/fake-oidc-client';
import { dpopProblems } from './dpop-problems';
import { asksOfIdp, idpFeatureProblems } from './idp-feature-problems';

const ISSUER = 'https://idp.example.test';

describe('the start-up check of OIDC_DPOP', () => {
  it('refuses an IdP that publishes no DPoP algorithms, or not ES256, naming OIDC_DPOP', () => {
    expect(dpopProblems({ issuer: ISSUER }, true)).toEqual(['OIDC_DPOP: is on, but the identity provider publishes no dpop_signing_alg_values_supported']);
    expect(dpopProblems({ issuer: ISSUER, dpop_signing_alg_values_supported: ['RS256', 'EdDSA'] }, true)).toEqual([
      'OIDC_DPOP: is on, but the identity provider does not list ES256 in dpop_signing_alg_values_supported',
    ]);
  });

  it('takes an IdP listing ES256, and asks nothing of one while OIDC_DPOP is off', () => {
    expect(dpopProblems({ issuer: ISSUER, dpop_signing_alg_values_supported: ['ES256'] }, true)).toEqual([]);
    expect(dpopProblems({ issuer: ISSUER }, false)).toEqual([]);
  });

  it('is one of the start-up checks, which wait for discovery when OIDC_DPOP is on', () => {
    const needs = { userinfo: false, tokenExchangeRoutes: [], clientAuth: oidcSettings.clientAuth, par: oidcSettings.par, dpop: true };
    expect(asksOfIdp(needs)).toBe(true);
    expect(asksOfIdp({ ...needs, dpop: false })).toBe(false);
    expect(idpFeatureProblems({ issuer: ISSUER }, needs)).toEqual(dpopProblems({ issuer: ISSUER }, true));
  });
});
