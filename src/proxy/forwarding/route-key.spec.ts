import fc from 'fast-check';
import type { Route } from './route';
import { RouteTable } from './route-table';

function route(path: string, overrides: Partial<Route> = {}): Route {
  return { path, origin: 'http://upstream:8080', basePath: '', stripPath: true, auth: 'any', token: 'access', timeoutMs: 30_000, websocket: true, maxConnections: 128, dpop: 'off', ...overrides };
}

const admin = route('/api2/admin', { groups: ['admins'] });
const open = route('/api2', { auth: 'none' });
const sut = new RouteTable([admin, open, route('/api2/admin/keys', { groups: ['root'] })]);

/** One character spelled in a way some upstream reads as that character: another case, a percent-escape, a Unicode fold. */
function spelledChar(char: string): fc.Arbitrary<string> {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  const spellings = [char, char.toUpperCase(), char.toLowerCase(), `%${hex}`, `%${hex.toUpperCase()}`];
  if (char === 's') spellings.push('\u017f');
  if (char === 'k') spellings.push('\u212a');
  return fc.constantFrom(...spellings);
}

function spelledSegment(segment: string): fc.Arbitrary<string> {
  const chars = fc.tuple(...[...segment].map(spelledChar)).map((parts) => parts.join(''));
  // `;params` (Tomcat, Jetty, Spring drop them), or a detour through a dot segment.
  return fc.tuple(chars, fc.constantFrom('', ';x', ';jsessionid=1', '%3bx'), fc.constantFrom('', './', 'zz/../', '/')).map(
    ([name, params, detour]) => `${detour}${name}${params}`,
  );
}

/** Any spelling of `path` that a decoding, dot-resolving, case-insensitive or parameter-dropping upstream reads as `path`. */
function spellingOf(path: string): fc.Arbitrary<string> {
  const segments = path.split('/').slice(1);
  return fc.tuple(...segments.map(spelledSegment), fc.constantFrom('', '/', '?q=1')).map((parts) => {
    const tail = parts.pop() ?? '';
    return `/${parts.join('/')}${tail}`;
  });
}

describe('route choice by the path’s route key', () => {
  it.each(['/api2/admin/secret', '/api2/admin', '/api2/admin/keys/list', '/api2/other', '/api2/skip/k'])(
    'gives every spelling of %s the route of its plain spelling, or refuses it',
    (path) => {
      const plain = sut.match(path);
      if (plain === undefined || 'rejected' in plain) throw new Error(`${path} should match a route`);
      fc.assert(
        fc.property(spellingOf(path), (spelling) => {
          const result = sut.match(spelling);
          if (result !== undefined && 'rejected' in result) return;
          expect(result?.route).toBe(plain.route);
        }),
        { numRuns: 3000 },
      );
    },
  );

  it('sends the path upstream as the client spelled it', () => {
    const result = sut.match('/API2/Admin/Secret');
    expect(result && !('rejected' in result) && result.upstreamPath).toBe('/Secret');
  });

  it('refuses path parameters outright', () => {
    expect(sut.match('/api2/admin;x/secret')).toEqual({ rejected: 'bad_path' });
    expect(sut.match('/api2/ADMIN;/secret')).toEqual({ rejected: 'bad_path' });
  });
});
