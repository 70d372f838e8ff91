import fc from 'fast-check';
import type { BadPath, Route, RouteMatch } from './route';
import { RouteTable } from './route-table';

function route(path: string, overrides: Partial<Route> = {}): Route {
  return { path, origin: 'http://upstream:8080', basePath: '', stripPath: true, auth: 'any', token: 'access', timeoutMs: 30_000, websocket: true, maxConnections: 128, dpop: 'off', ...overrides };
}

/** What a typical upstream does with a path: decode once, then resolve dot-segments (RFC 3986 §5.2.4). */
function decodeOnceAndResolve(path: string): string {
  const stack: string[] = [];
  for (const segment of decodeURIComponent(path).split('/').slice(1)) {
    if (segment === '..') stack.pop();
    else if (segment !== '.') stack.push(segment);
  }
  return `/${stack.join('/')}`;
}

function matched(result: RouteMatch | BadPath | undefined): RouteMatch {
  if (result === undefined || 'rejected' in result) throw new Error(`expected a match, got ${JSON.stringify(result)}`);
  return result;
}

describe('RouteTable', () => {
  const api = route('/api', { basePath: '/v1' });
  const orders = route('/api/orders', { origin: 'http://orders:8080' });
  const raw = route('/raw', { stripPath: false, basePath: '/base' });
  const sut = new RouteTable([api, orders, raw]);

  it('matches a prefix on whole segments only', () => {
    expect(matched(sut.match('/api')).route).toBe(api);
    expect(matched(sut.match('/api/x')).route).toBe(api);
    expect(sut.match('/apix')).toBeUndefined();
    expect(sut.match('/')).toBeUndefined();
  });

  it('matches prefixes case-insensitively and forwards the path as spelled', () => {
    expect(matched(sut.match('/API')).route.path).toBe('/api');
    expect(matched(sut.match('/Api/ORDERS/7')).route.path).toBe('/api/orders');
    expect(matched(sut.match('/Api/ORDERS/7')).upstreamPath).toBe('/7');
    expect(matched(sut.match('/RAW/X')).upstreamPath).toBe('/base/RAW/X');
    expect(matched(sut.match('/api/X/Y')).upstreamPath).toBe('/v1/X/Y');
  });

  it('refuses ; in any segment, raw or encoded', () => {
    for (const path of ['/api/admin;x/y', '/api;/x', '/api/%3b', '/api/a%3Bb']) expect(sut.match(path)).toEqual({ rejected: 'bad_path' });
  });

  it('lets the longest prefix win', () => {
    expect(matched(sut.match('/api/orders/42')).route).toBe(orders);
    expect(matched(sut.match('/api/orders')).route).toBe(orders);
    expect(matched(sut.match('/api/ordersx')).route).toBe(api);
  });

  it('strips the prefix onto the upstream base path and keeps the query untouched', () => {
    expect(matched(sut.match('/api/users/7?a=1&b=%2F..%2f')).upstreamPath).toBe('/v1/users/7?a=1&b=%2F..%2f');
    expect(matched(sut.match('/api')).upstreamPath).toBe('/v1');
    expect(matched(sut.match('/api/')).upstreamPath).toBe('/v1/');
    expect(matched(sut.match('/api?x=1')).upstreamPath).toBe('/v1?x=1');
    expect(matched(sut.match('/api/orders')).upstreamPath).toBe('/');
    expect(matched(sut.match('/api/orders?page=2')).upstreamPath).toBe('/?page=2');
    expect(matched(sut.match('/api/orders/')).upstreamPath).toBe('/');
  });

  it('forwards the full path after the base path when strip_path is false', () => {
    expect(matched(sut.match('/raw/a/b/')).upstreamPath).toBe('/base/raw/a/b/');
    expect(matched(sut.match('/raw')).upstreamPath).toBe('/base/raw');
  });

  it('resolves dot-segments that stay inside the prefix before matching', () => {
    expect(matched(sut.match('/api/a/../b')).upstreamPath).toBe('/v1/b');
    expect(matched(sut.match('/api/./a/./b')).upstreamPath).toBe('/v1/a/b');
    expect(matched(sut.match('/api/a/%2e%2E/b')).upstreamPath).toBe('/v1/b');
    expect(matched(sut.match('/api/a/..')).upstreamPath).toBe('/v1/');
  });

  it('merges repeated slashes', () => {
    expect(matched(sut.match('//api//x///y')).upstreamPath).toBe('/v1/x/y');
  });

  it.each([
    ['.. above the prefix into another route', '/api/orders/../../raw/x'],
    ['.. from one route into a deeper one', '/api/../api/orders/1'],
    ['encoded .. above the prefix', '/api/orders/%2e%2e/%2E%2E/raw'],
    ['mixed encoded dots', '/api/orders/.%2e/x'],
    ['.. above the root', '/api/../../etc/passwd'],
    ['an encoded slash', '/api/a%2fb'],
    ['an encoded slash in upper case', '/api/..%2F..%2Fraw'],
    ['a backslash', '/api\\..\\raw'],
    ['an encoded backslash', '/api/%5c..%5craw'],
    ['an encoded NUL', '/api/a%00b'],
    ['an encoded line feed', '/api/a%0ab'],
    ['a malformed escape', '/api/%zz'],
    ['a truncated escape', '/api/a%2'],
    ['invalid UTF-8 in an escape', '/api/%c3%28'],
    ['a raw byte that is not UTF-8 (Node hands bytes over as latin1)', '/api/caf\u00e9'],
    ['a Tomcat path parameter on ..', '/api/orders/..;/..;/raw'],
    ['a path parameter on .', '/api/.;x/y'],
    ['an absolute-form target', 'http://evil.example/api'],
  ])('rejects %s', (_name, path) => {
    expect(sut.match(path)).toEqual({ rejected: 'bad_path' });
  });

  it('turns double encoding into a literal segment, never into ..', () => {
    const result = matched(sut.match('/api/%252e%252e/%252e%252e/raw'));
    expect(result.route).toBe(api);
    expect(result.upstreamPath).toBe('/v1/%252e%252e/%252e%252e/raw');
  });

  it('forwards segments in canonical percent-encoding', () => {
    expect(matched(sut.match('/api/%7euser/%41b/a%2bb/caf%c3%a9/a:b@c=e/%3f')).upstreamPath).toBe(
      '/v1/~user/Ab/a%2Bb/caf%C3%A9/a:b@c=e/%3F',
    );
    // Node hands raw bytes over as latin1 characters.
    expect(matched(sut.match('/api/caf\u00c3\u00a9 x#y')).upstreamPath).toBe('/v1/caf%C3%A9%20x%23y');
  });

  it('matches a root route for every path when it is the only one', () => {
    const root = route('/', { stripPath: false });
    const rootOnly = new RouteTable([root]);
    expect(matched(rootOnly.match('/')).upstreamPath).toBe('/');
    expect(matched(rootOnly.match('/a/../b?q')).upstreamPath).toBe('/b?q');
    expect(rootOnly.match('/..')).toEqual({ rejected: 'bad_path' });
  });

  it('never forwards a path that escapes its route once the upstream decodes and resolves it', () => {
    const pieces = ['..', '.', '%2e%2e', '%2E.', '%252e%252e', '%2f', '%5c', 'a', 'orders', 'raw', '', '%25', ';', '..;'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 8 }), fc.constantFrom('/api', '/api/orders', '/raw'), (tail, prefix) => {
        const result = sut.match(`${prefix}/${tail.join('/')}`);
        if (result === undefined || 'rejected' in result) return;
        const { route: hit, upstreamPath } = result;
        const resolved = decodeOnceAndResolve(upstreamPath.split('?', 1)[0]);
        const base = hit.stripPath ? hit.basePath : `${hit.basePath}${hit.path}`;
        expect(`${resolved}/`.startsWith(`${base}/`) || resolved === (base || '/')).toBe(true);
        expect(decodeURIComponent(upstreamPath).split('/')).not.toContain('..');
      }),
    );
  });
  const hostilePieces = [
    '..', '.', '%2e%2e', '%2E.', '.%2e', '%2e', '%252e%252e', '%25252e', '%2f', '%2F', '%252f', '%5c', '%5C', '\\', '%00',
    '%0d%0a', '%c0%ae%c0%ae', '%e0%80%ae', '%ef%bc%8f', '%u002e', '..%2f', '%2e%2e%2f', '..;', ';', '%3b', '..%00', '%3f', '%23',
    '?', '#', '%', '%%32%65', '%ff', 'a', 'api', '%61pi', 'orders', 'raw', '', ' ', '\u00e9', '\u00c3\u00a9', '\u2215', '\uff0e\uff0e',
  ];
  const hostilePath = fc
    .tuple(fc.constantFrom('', '/api', '/api/orders', '/raw', '/API', '//api'), fc.array(fc.constantFrom(...hostilePieces), { maxLength: 10 }))
    .map(([prefix, tail]) => `${prefix}/${tail.join('/')}`);
  // What may go on the request line upstream: path characters and canonical (upper-case) escapes, nothing raw.
  const FORWARDABLE = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$/;

  it('stays inside the route and forwards only canonical path characters, for hostile paths', () => {
    fc.assert(
      fc.property(hostilePath, (path) => {
        const result = sut.match(path);
        if (result === undefined || 'rejected' in result) return;
        const { route: hit, upstreamPath } = result;
        const forwardedPath = upstreamPath.split('?', 1)[0] ?? '';
        expect(forwardedPath).toMatch(FORWARDABLE);
        const resolved = decodeOnceAndResolve(forwardedPath);
        const base = hit.stripPath ? hit.basePath : `${hit.basePath}${hit.path}`;
        expect(`${resolved}/`.startsWith(`${base}/`) || resolved === (base || '/')).toBe(true);
        expect(decodeURIComponent(forwardedPath).split('/')).not.toContain('..');
        // eslint-disable-next-line no-control-regex
        expect(decodeURIComponent(forwardedPath)).not.toMatch(/[\\\u0000-\u001f]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('picks the route a decoding, dot-resolving upstream would see, or refuses', () => {
    fc.assert(
      fc.property(hostilePath, (path) => {
        const result = sut.match(path);
        if (result === undefined || 'rejected' in result) return;
        const seen = decodeOnceAndResolve(path.split('?', 1)[0]?.replace(/\/{2,}/g, '/') ?? '/').toLowerCase();
        expect(seen === result.route.path || seen.startsWith(`${result.route.path}/`)).toBe(true);
        const deeper = [api, orders, raw].filter((other) => other.path.length > result.route.path.length);
        expect(deeper.some((other) => seen === other.path || seen.startsWith(`${other.path}/`))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('forwards a path that maps to itself when matched again', () => {
    const root = new RouteTable([route('/', { stripPath: false })]);
    fc.assert(
      fc.property(hostilePath, (path) => {
        const first = root.match(path);
        if (first === undefined || 'rejected' in first) return;
        expect(matched(root.match(first.upstreamPath)).upstreamPath).toBe(first.upstreamPath);
      }),
      { numRuns: 1000 },
    );
  });

  it('answers any request target without throwing, raw latin1 bytes included', () => {
    const target = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 80 }));
    fc.assert(
      fc.property(target, (raw) => {
        const result = sut.match(raw);
        if (result !== undefined && !('rejected' in result)) expect(result.upstreamPath.split('?', 1)[0]).toMatch(FORWARDABLE);
      }),
      { numRuns: 2000 },
    );
  });
});
