import { deriveCallerIdentity, identitySettingsOf } from './derive-identity';

const settings = identitySettingsOf({ groupsClaim: 'roles' }, { upstreamHeaders: [{ claim: 'email', header: 'X-User-Email' }, { claim: 'email', header: 'X-Mail' }, { claim: 'iss', header: 'X-Issuer' }] });
const mapping = { consumer: { id: 'c1', username: 'alice', custom_id: 'sub-1' }, credential: 'sub-1', anonymous: false };
const access = { scopes: ['orders:read'], audiences: ['api://orders'] };

describe('deriveCallerIdentity', () => {
  it('builds every field from the claims, the mapping and the access token, the absent ones as undefined', () => {
    const sut = deriveCallerIdentity({ sub: 'sub-1', roles: 'admins staff', email: 'a@x', acr: 'urn:mfa', auth_time: 1_700_000_000, other: 1 }, mapping, access, settings);
    expect(sut).toEqual({
      consumer: mapping.consumer,
      anonymous: false,
      credential: 'sub-1',
      groups: ['admins', 'staff'],
      scopes: ['orders:read'],
      audiences: ['api://orders'],
      acr: 'urn:mfa',
      authTime: 1_700_000_000,
      headerClaims: { email: 'a@x' },
    });
    const bare = deriveCallerIdentity({ acr: 2, auth_time: '1700000000' }, { consumer: null, credential: undefined, anonymous: false }, access, settings);
    expect(bare).toEqual(expect.objectContaining({ consumer: null, credential: undefined, groups: [], acr: undefined, authTime: undefined, headerClaims: {} }));
    expect(Object.keys(bare)).toEqual(Object.keys(sut));
  });

  it('carries the anonymous mark of the mapping, for session and token callers alike', () => {
    const anonymous = { consumer: { id: 'anon', username: 'guest', custom_id: null }, credential: 'sub-9', anonymous: true };
    expect(deriveCallerIdentity({ sub: 'sub-9' }, anonymous, access, settings).anonymous).toBe(true);
  });

  it('names each claim UPSTREAM_HEADERS injects once, however many headers it goes to', () => {
    expect(settings).toEqual({ groupsClaim: 'roles', headerClaims: ['email', 'iss'] });
  });
});
