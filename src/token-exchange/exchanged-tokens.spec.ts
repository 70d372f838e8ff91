import { identityWith } from '../../test/support/caller-identity';
import type { VaultContents } from '../session/session.types';
import { reusable, withExchanged } from './exchanged-tokens';

const NOW = 1_800_000_000_000;
const SKEW = 60_000;
const contents: VaultContents = { accessToken: 'at', accessTokenExpiresAt: NOW + 300_000, sub: 'user-1', identity: identityWith() };

describe('exchanged tokens', () => {
  it('are reusable until TOKEN_REFRESH_SKEW before they expire', () => {
    const token = { accessToken: 'x', expiresAt: NOW + SKEW + 1 };
    expect(reusable(token, SKEW, NOW)).toBe(token);
    expect(reusable(token, SKEW, NOW + 1)).toBeUndefined();
    expect(reusable(undefined, SKEW, NOW)).toBeUndefined();
  });

  it('are stored by route key beside the others, the ones no longer reusable dropped', () => {
    const kept = { accessToken: 'kept', expiresAt: NOW + 200_000 };
    const stale = { accessToken: 'stale', expiresAt: NOW + 30_000 };
    const added = { accessToken: 'added', expiresAt: NOW + 250_000 };
    const sut = withExchanged({ ...contents, exchanged: { a: kept, b: stale, c: { accessToken: 'old-c', expiresAt: NOW + 100_000 } } }, 'c', added, SKEW, NOW);
    expect(sut.exchanged).toEqual({ a: kept, c: added });
    expect(sut).toMatchObject({ accessToken: 'at', sub: 'user-1' });
    expect(withExchanged(contents, 'a', added, SKEW, NOW).exchanged).toEqual({ a: added });
  });
});
