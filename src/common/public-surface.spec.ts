import fc from 'fast-check';
import { safeReturnTo } from './return-to';
import { isAuthPath, loginUrlFor } from './public-surface';

const ORIGIN = 'https://app.example.com';

describe('loginUrlFor', () => {
  it('names the page of a same-origin Referer', () => {
    expect(loginUrlFor(`${ORIGIN}/orders?page=2#x`, ORIGIN)).toBe('/auth/login?returnTo=%2Forders%3Fpage%3D2');
    expect(loginUrlFor('https://evil.example/orders', ORIGIN)).toBe('/auth/login');
    expect(loginUrlFor(undefined, ORIGIN)).toBe('/auth/login');
  });

  it('only ever offers a returnTo that the login endpoint accepts, whatever the Referer says', () => {
    const piece = fc.constantFrom('/', '//', '..', '.', '%2e%2e', '\\', 'evil.example', '@', '?', '#', 'a', '%', '%zz', ' ', '\t');
    const referer = fc.oneof(
      fc.array(piece, { maxLength: 8 }).map((parts) => `${ORIGIN}/${parts.join('')}`),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string({ unit: 'binary', maxLength: 60 }),
    );
    fc.assert(
      fc.property(referer, (value) => {
        const url = new URL(loginUrlFor(value, ORIGIN), ORIGIN);
        expect(url.origin).toBe(ORIGIN);
        expect(url.pathname).toBe('/auth/login');
        const returnTo = url.searchParams.get('returnTo');
        if (returnTo !== null) expect(safeReturnTo(returnTo, ORIGIN)).toBe(returnTo);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('isAuthPath', () => {
  it('is /auth itself, or /auth followed by a path or a query, and nothing else', () => {
    const target = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ maxLength: 12 }).map((tail) => `/auth${tail}`),
      fc.constantFrom('/auth', '/auth/', '/auth?x', '/authx', '/Auth/login', '/aut', ''),
    );
    fc.assert(
      fc.property(target, (value) => {
        expect(isAuthPath(value)).toBe(value === '/auth' || value.startsWith('/auth/') || value.startsWith('/auth?'));
      }),
    );
  });
});
