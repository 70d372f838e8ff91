import { silentLoginFailure, withBffError } from './silent-login';

describe('silentLoginFailure', () => {
  it.each(['login_required', 'consent_required', 'interaction_required', 'account_selection_required'])(
    'reports %s for a login started with prompt=none',
    (error) => {
      expect(silentLoginFailure(true, error)).toBe(error);
    },
  );

  it('leaves every other answer to the usual callback handling', () => {
    expect(silentLoginFailure(true, 'access_denied')).toBeUndefined();
    expect(silentLoginFailure(true, null)).toBeUndefined();
    expect(silentLoginFailure(false, 'login_required')).toBeUndefined();
  });
});

describe('withBffError', () => {
  it.each([
    ['/', '/?bff_error=login_required'],
    ['/orders', '/orders?bff_error=login_required'],
    ['/orders?page=2', '/orders?page=2&bff_error=login_required'],
    ['/orders?', '/orders?bff_error=login_required'],
    ['/orders?a=%20b#top', '/orders?a=%20b&bff_error=login_required#top'],
    ['/spa#/route?x=1', '/spa?bff_error=login_required#/route?x=1'],
  ])('adds bff_error to %s', (returnTo, expected) => {
    expect(withBffError(returnTo, 'login_required')).toBe(expected);
  });
});
