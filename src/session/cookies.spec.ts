import fc from 'fast-check';
import { readCookie, readSessionId, serializeCookie } from './cookies';
import { SessionCookie } from './session-cookie';
import type { SessionConfig } from '../config/app-config';

const NAME = 'bff-session';
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

// RFC 6265 §4.1.1: cookie-octet excludes controls, whitespace, DQUOTE, comma, semicolon and backslash.
const cookieOctet = fc.constantFrom(...'!#$%&\'()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~');
const cookieValue = fc.string({ unit: cookieOctet, maxLength: 60 });
const sessionId = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'), minLength: 43, maxLength: 43 });
const nearMissName = fc.constantFrom('bff-sessio', 'bff-session2', 'xbff-session', 'BFF-SESSION', 'bff_session', 'theme', 'bff-login-abc', '__Host-bff-session');
const pair = fc.tuple(fc.oneof(nearMissName, fc.constant(NAME)), fc.oneof(cookieValue, sessionId));
const separator = fc.constantFrom(';', '; ', ';  ', ' ; ');

function header(pairs: readonly (readonly [string, string])[], separators: readonly string[]): string {
  return pairs.map(([name, value], index) => `${index === 0 ? '' : (separators[index % separators.length] ?? '; ')}${name}=${value}`).join('');
}

const sut = new SessionCookie({ cookieName: NAME, cookieSecure: false, absoluteTimeoutSeconds: 60 } as SessionConfig);

describe('cookie parsing', () => {
  it('finds the first cookie of exactly that name, wherever it is and whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 8 }), fc.array(separator, { minLength: 1, maxLength: 3 }), (pairs, separators) => {
        const expected = pairs.find(([name]) => name === NAME)?.[1];
        expect(readCookie(header(pairs, separators), NAME)).toBe(expected);
      }),
    );
  });

  it('reads back what serializeCookie wrote, among other cookies', () => {
    fc.assert(
      fc.property(sessionId, fc.array(pair.filter(([name]) => name !== NAME), { maxLength: 4 }), (id, others) => {
        const written = serializeCookie(NAME, id, { secure: true, sameSite: 'Lax' }).split(';', 1)[0] ?? '';
        const sent = [...others.map(([name, value]) => `${name}=${value}`), written].join('; ');
        expect(readSessionId(sent, NAME)).toBe(id);
      }),
    );
  });

  it('yields a session id only when the value is shaped like one, for any header at all', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(pair, { maxLength: 8 }).map((pairs) => header(pairs, ['; ']))), (raw) => {
        const id = readSessionId(raw, NAME);
        expect(id === undefined || SESSION_ID.test(id)).toBe(true);
        if (id !== undefined) expect(raw).toContain(`${NAME}=${id}`);
      }),
    );
  });

  it('calls a cookie present exactly when it can be read, so a foreign value never reads as an expired session', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 30 }), (pairs, noise) => {
        for (const raw of [header(pairs, ['; ']), `${noise}${header(pairs, ['; '])}`, `other=${NAME}=${noise}`]) {
          expect(sut.inspect(raw) !== 'absent').toBe(readCookie(raw, NAME) !== undefined);
        }
      }),
    );
  });

  it('handles a header of many cookies without slowing down', () => {
    const many = Array.from({ length: 2000 }, (_, index) => `c${index}=${'v'.repeat(20)}`).join('; ');
    const started = performance.now();
    for (let run = 0; run < 100; run += 1) readSessionId(`${many}; ${NAME}=${'a'.repeat(43)}`, NAME);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
