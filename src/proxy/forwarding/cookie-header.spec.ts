import fc from 'fast-check';
import { readCookie } from '../../session/cookies';
import { withoutCookies } from './cookie-header';

const SESSION = 'bff-session';
const LOGIN = ['bff-login-*', '__Host-bff-login-*'];

const cookieOctet = fc.constantFrom(...'!#$%&\'()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~');
const name = fc.oneof(
  fc.constantFrom(SESSION, ` ${SESSION}`, `${SESSION} `, 'bff-login-0123', '__Host-bff-login-ab', 'bff-sessionx', 'xbff-session', 'theme', 'lang'),
  fc.string({ unit: cookieOctet, minLength: 1, maxLength: 8 }).filter((text) => !text.includes('=')),
);
const pair = fc.tuple(name, fc.string({ unit: cookieOctet, maxLength: 44 })).map(([key, value]) => `${key}=${value}`);
const header = fc.tuple(fc.array(pair, { maxLength: 8 }), fc.constantFrom(';', '; ', ' ;  ', ';;')).map(([pairs, separator]) => pairs.join(separator));

function stripped(pairName: string): boolean {
  const trimmed = pairName.trim();
  return trimmed === SESSION || trimmed.startsWith('bff-login-') || trimmed.startsWith('__Host-bff-login-');
}

describe('withoutCookies', () => {
  it('never forwards the session or login cookies, from one header or several', () => {
    fc.assert(
      fc.property(fc.oneof(header, fc.array(header, { minLength: 1, maxLength: 3 })), (sent) => {
        const forwarded = withoutCookies(sent, SESSION, LOGIN);
        expect(readCookie(forwarded, SESSION)).toBeUndefined();
        for (const kept of forwarded?.split(';') ?? []) expect(stripped(kept.split('=', 1)[0] ?? '')).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps every other cookie, in order', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 8 }), (pairs) => {
        const expected = pairs.filter((kept) => !stripped(kept.split('=', 1)[0] ?? '')).map((kept) => kept.trim());
        expect(withoutCookies(pairs.join('; '), SESSION, LOGIN)).toBe(expected.length > 0 ? expected.join('; ') : undefined);
      }),
      { numRuns: 500 },
    );
  });
});
