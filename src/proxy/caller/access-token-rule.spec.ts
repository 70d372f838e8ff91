import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { isAccessTokenIntrospection, isAccessTokenJwt } from './access-token-rule';

const expectations = { clientId: 'bff', audience: undefined };
const accessToken: JWTPayload = { sub: 'machine', client_id: 'machine', scope: 'orders:read', aud: 'api://default' };
const header = (typ?: string): JWTHeaderParameters => ({ alg: 'RS256', ...(typ === undefined ? {} : { typ }) });

describe('the access-token rule', () => {
  it.each([
    ['typed at+jwt', {}, 'at+jwt'],
    ['typed application/at+jwt, without scope', { scope: undefined }, 'application/at+jwt'],
    ['typed JWT, with scope', {}, 'JWT'],
    ['untyped, with an Okta scp', { scope: undefined, scp: ['orders:read'] }, undefined],
  ])('accepts a JWT %s', (_case, claims, typ) => {
    expect(isAccessTokenJwt(header(typ), { ...accessToken, ...claims }, expectations)).toBe(true);
  });

  it.each([
    ['an ID token of another client', { scope: undefined, aud: 'other-spa', nonce: 'n' }, 'JWT'],
    ['an ID token without nonce or hashes', { scope: undefined, aud: 'other-spa', azp: 'other-spa' }, undefined],
    ['an ID token of ours', { scope: undefined, aud: 'bff' }, undefined],
    ['an ID token of ours that carries a scope', { aud: ['bff'] }, 'JWT'],
    ['a token typed id+jwt', {}, 'id+jwt'],
    ['a logout token', { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, 'logout+jwt'],
    ['an untyped logout token', { scope: undefined, events: {} }, undefined],
    ['a Keycloak refresh token', { typ: 'Refresh' }, 'JWT'],
    ['a Keycloak ID token', { typ: 'ID' }, 'JWT'],
    ['a token carrying nothing that makes it an access token', { scope: undefined }, 'JWT'],
  ])('rejects %s', (_case, claims, typ) => {
    expect(isAccessTokenJwt(header(typ), { ...accessToken, ...claims }, expectations)).toBe(false);
  });

  it('accepts an untyped JWT without scope whose aud contains OIDC_AUDIENCE, and no other', () => {
    const claims = { ...accessToken, scope: undefined, aud: ['api://orders', 'api://x'] };
    delete claims.scope;
    expect(isAccessTokenJwt(header(), claims, { clientId: 'bff', audience: 'api://orders' })).toBe(true);
    expect(isAccessTokenJwt(header(), claims, { clientId: 'bff', audience: 'api://billing' })).toBe(false);
  });

  it.each([
    ['Bearer', { token_type: 'Bearer' }],
    ['access_token', { token_type: 'access_token' }],
    ['the access-token URN', { token_type: 'urn:ietf:params:oauth:token-type:access_token' }],
    ['Keycloak’s Bearer typ', { typ: 'Bearer' }],
  ])('accepts an introspection answer naming %s', (_case, fields) => {
    expect(isAccessTokenIntrospection({ active: true, ...fields }, expectations)).toBe(true);
  });

  it.each([
    ['refresh_token', { token_type: 'refresh_token' }],
    ['the refresh-token URN', { token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }],
    ['an ID token', { token_type: 'id_token' }],
    ['Keycloak’s Refresh typ', { typ: 'Refresh' }],
    ['nothing, with OIDC_AUDIENCE unset (oidc-provider’s refresh tokens)', { scope: 'openid offline_access' }],
  ])('rejects an introspection answer naming %s', (_case, fields) => {
    expect(isAccessTokenIntrospection({ active: true, ...fields }, expectations)).toBe(false);
  });

  it('accepts an unnamed introspection answer only when its aud contains OIDC_AUDIENCE', () => {
    expect(isAccessTokenIntrospection({ active: true, aud: 'api://orders' }, { clientId: 'bff', audience: 'api://orders' })).toBe(true);
    expect(isAccessTokenIntrospection({ active: true, aud: 'api://other' }, { clientId: 'bff', audience: 'api://orders' })).toBe(false);
  });
});
