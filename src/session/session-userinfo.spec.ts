import { Logger } from '@nestjs/common';
import { identityWith } from '../../test/support/caller-identity';
import type { ConsumerConfig, OidcConfig, ProxyConfig } from '../config/app-config';
import { InvalidIdpAnswer } from '../oidc/idp-errors';
import type { OidcClient } from '../oidc/oidc.client';
import type { VaultContents } from './session.types';
import { SessionUserinfo } from './session-userinfo';

const idToken = `e30.${Buffer.from(JSON.stringify({ sub: 'user-1', groups: ['from-id-token'], email: 'id@x' })).toString('base64url')}.sig`;
const stored: VaultContents = {
  accessToken: 'at-1',
  accessTokenExpiresAt: Date.now() + 60_000,
  idToken,
  sub: 'user-1',
  identity: identityWith({ consumer: { id: 'c1', username: 'one', custom_id: 'user-1' }, credential: 'user-1', acr: 'urn:mfa', authTime: 1_700_000_000 }),
};

function userinfoWith(answer: () => Promise<Record<string, unknown>>, enabled = true) {
  const oidc = { userinfo: jest.fn(answer) };
  const sut = new SessionUserinfo(
    oidc as unknown as OidcClient,
    { userinfo: enabled } as OidcConfig,
    { groupsClaim: 'groups' } as ConsumerConfig,
    { upstreamHeaders: [{ claim: 'name', header: 'x-name' }] } as unknown as ProxyConfig,
  );
  return { sut, oidc };
}

describe('SessionUserinfo', () => {
  it('asks nothing while OIDC_USERINFO is off', async () => {
    const { sut, oidc } = userinfoWith(() => Promise.resolve({}), false);
    await expect(sut.atLogin('at', 'user-1')).resolves.toBeUndefined();
    await expect(sut.afterRefresh('at', 'user-1')).resolves.toEqual({ kind: 'unchanged' });
    expect(oidc.userinfo).not.toHaveBeenCalled();
  });

  it('tells another subject after a refresh apart from an IdP that cannot answer now', async () => {
    const otherSubject = userinfoWith(() => Promise.reject(new InvalidIdpAnswer('userinfo_sub')));
    await expect(otherSubject.sut.afterRefresh('at', 'user-1')).resolves.toEqual({ kind: 'other_subject' });
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const down = userinfoWith(() => Promise.reject(new TypeError('fetch failed')));
    await expect(down.sut.afterRefresh('at', 'user-1')).resolves.toEqual({ kind: 'unchanged' });
    jest.restoreAllMocks();
  });

  it('derives the refreshed identity from the ID token filled in by userinfo, keeping the login\'s consumer, acr and auth_time', () => {
    const { sut } = userinfoWith(() => Promise.resolve({}));
    const tokens = { accessToken: 'at-2', expiresAt: Date.now() + 60_000, claims: { sub: 'user-1', acr: 'urn:weaker' } };
    const identity = sut.refreshedIdentity(stored, tokens, 'openid orders:read', { sub: 'user-1', groups: ['admins'], name: 'One' });
    expect(identity).toEqual({
      ...stored.identity,
      groups: ['admins'],
      scopes: ['openid', 'orders:read'],
      audiences: [],
      headerClaims: { name: 'One' },
    });
    // No ID token with the refresh: the stored one's claims, which win over userinfo's.
    expect(sut.refreshedIdentity(stored, { accessToken: 'at-2', expiresAt: 0 }, undefined, { groups: ['admins'] }).groups).toEqual(['from-id-token']);
  });
});
