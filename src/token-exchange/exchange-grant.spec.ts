import { MetricsService } from '../metrics/metrics.service';
import type { OidcClient } from '../oidc/oidc.client';
import { ExchangeGrant } from './exchange-grant';
import { exchangeTargetOf } from './exchange-target';

function grantAnswering(expiresAt: number) {
  const oidc = { exchangeToken: jest.fn(() => Promise.resolve({ accessToken: 'minted', expiresAt })) };
  return { oidc, sut: new ExchangeGrant(oidc as unknown as OidcClient, new MetricsService()) };
}

describe('ExchangeGrant', () => {
  it('asks for the route\'s audience, resource and scope, and never uses the new token longer than its subject', async () => {
    const subjectExpiresAt = Date.now() + 60_000;
    const { oidc, sut } = grantAnswering(Date.now() + 3_600_000);
    const target = exchangeTargetOf({ audience: 'api://orders', resource: 'https://orders.example', scope: 'orders:read' });
    await expect(sut.obtain('subject-token', subjectExpiresAt, target)).resolves.toEqual({ accessToken: 'minted', expiresAt: subjectExpiresAt });
    // A subject without a DPoP key is exchanged without a proof.
    expect(oidc.exchangeToken).toHaveBeenCalledWith('subject-token', { audience: 'api://orders', resource: 'https://orders.example', scope: 'orders:read' }, undefined);
  });

  it('keeps the IdP\'s lifetime when it is the shorter', async () => {
    const expiresAt = Date.now() + 30_000;
    const { sut } = grantAnswering(expiresAt);
    await expect(sut.obtain('subject-token', Date.now() + 60_000, exchangeTargetOf({ scope: 'orders:read' }))).resolves.toMatchObject({ expiresAt });
  });
});
