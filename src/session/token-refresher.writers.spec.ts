import type { TokenResult } from '../oidc/token-result';
import { FakeStore, heldElsewhereThen, refresherWith, session } from '../../test/support/refresher-fixture';

const rotated = (): Promise<TokenResult> =>
  Promise.resolve({ accessToken: 'at-new', refreshToken: 'rt-new', expiresAt: Date.now() + 300_000 });

/** The session's other writer: a token exchange storing its token beside the session's own, on any instance. */
describe('TokenRefresher beside another writer of the session', () => {
  it('keeps the rotated refresh token when a token exchange wrote the session while the IdP answered', async () => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const exchanged = { 'route-a': { accessToken: 'x-1', expiresAt: Date.now() + 20_000 } };
    const { sut } = refresherWith(store, async () => {
      // Another instance stores an exchanged token: same refresh token, a newer version.
      store.current = { ...due, version: 2, contents: { ...due.contents, exchanged } };
      return rotated();
    });
    await expect(sut.ensureFresh('sid', due)).resolves.toMatchObject({ version: 3, contents: { accessToken: 'at-new', refreshToken: 'rt-new' } });
    expect(store.current?.contents).toMatchObject({ accessToken: 'at-new', refreshToken: 'rt-new' });
    // Exchanged from the replaced token, so due with it.
    expect(store.current?.contents.exchanged).toBeUndefined();
  });

  it('goes on to refresh when the lease holder let go having written a session whose token is still due', async () => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const { sut, oidc } = refresherWith(store, rotated);
    // A token exchange's write: the version moved, the access token did not.
    heldElsewhereThen(store, () => (store.current = { ...due, version: 2 }));
    await expect(sut.ensureFresh('sid', due)).resolves.toMatchObject({ contents: { accessToken: 'at-new', refreshToken: 'rt-new' } });
    expect(oidc.refresh).toHaveBeenCalledTimes(1);
  });
});
