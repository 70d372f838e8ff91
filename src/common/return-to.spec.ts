import fc from 'fast-check';
import { safeReturnTo } from './return-to';

const PUBLIC_URL = 'https://app.example.com';
const CALLBACK = `${PUBLIC_URL}/auth/callback`;

/** What Express does to a redirect target before it becomes the Location header (encodeurl keeps existing escapes). */
function asLocationHeader(target: string): string {
  return target.replace(/%(?![0-9A-Fa-f]{2})|[^\x21-\x7e]/gu, (char) => encodeURIComponent(char === '%' ? '%' : char));
}

/** Where a browser goes with that Location: WHATWG URL resolution against the callback URL it was on. */
function browserDestination(target: string): URL {
  return new URL(asLocationHeader(target), CALLBACK);
}

const tricky = fc.constantFrom(
  '/', '//', '\\', '/\\', '\t', '\n', '\r', ' ', '\u0000', '\u007f', '\u00a0', '\u2028', '\uff0f', '\u3002',
  '.', '..', '%2e', '%2E%2e', '%2f', '%2F', '%5c', '%09', '%0a', '%00', '%252f', '@', ':', '?', '#', '&', '=',
  'evil.example', 'app.example.com', 'https:', 'http:', 'javascript:', 'data:', 'file:', 'user:pass@', 'orders', 'x',
);
const candidates = fc.oneof(
  fc.array(tricky, { maxLength: 10 }).map((parts) => parts.join('')),
  fc.array(tricky, { maxLength: 10 }).map((parts) => `/${parts.join('')}`),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.webPath().map((path) => `/${path}`),
);

describe('safeReturnTo', () => {
  it('keeps a same-origin path with its query and fragment', () => {
    expect(safeReturnTo('/orders?page=2#top', PUBLIC_URL)).toBe('/orders?page=2#top');
    expect(safeReturnTo(undefined, PUBLIC_URL)).toBe('/');
  });

  it.each([
    ['a protocol-relative URL', '//evil.example/x'],
    ['a backslash after the slash', '/\\evil.example'],
    ['an absolute URL', 'https://evil.example/'],
    ['a tab that browsers would drop', '/\t/evil.example'],
    ['a dot-segment that leaves //host behind', '/..//evil.example'],
    ['an encoded dot-segment that leaves //host behind', '/%2e%2e//evil.example/x'],
    ['a single dot-segment that leaves //host behind', '/.//evil.example'],
    ['a non-string', ['/a', '/b']],
  ])('refuses %s', (_name, value) => {
    expect(safeReturnTo(value, PUBLIC_URL)).toBeUndefined();
  });

  it('never yields a target that takes a browser off the origin', () => {
    fc.assert(
      fc.property(candidates, (value) => {
        const result = safeReturnTo(value, PUBLIC_URL);
        if (result === undefined) return;
        expect(result).toMatch(/^\/(?![/\\])/);
        expect(new URL(result, PUBLIC_URL).origin).toBe(PUBLIC_URL);
        expect(browserDestination(result).origin).toBe(PUBLIC_URL);
      }),
      { numRuns: 3000 },
    );
  });

  it('returns what it accepts unchanged when given it again', () => {
    fc.assert(
      fc.property(candidates, (value) => {
        const result = safeReturnTo(value, PUBLIC_URL);
        if (result !== undefined) expect(safeReturnTo(result, PUBLIC_URL)).toBe(result);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = safeReturnTo(value, PUBLIC_URL);
        expect(result === undefined || typeof result === 'string').toBe(true);
      }),
    );
  });
});
