import { join } from 'node:path';
import { loadRoutes, type RoutesResult } from './load-routes';
import { useRoutesFile } from '../../../test/support/routes';

describe('loadRoutes', () => {
  const routesFile = useRoutesFile();
  const load = routesFile.load;

  function problems(result: RoutesResult): string[] {
    return result.ok ? [] : result.problems;
  }
  it('needs neither variable, and then has no routes', () => {
    expect(loadRoutes({ upstreamUrl: undefined, routesFile: undefined })).toEqual({ ok: true, routes: [] });
  });

  it('turns UPSTREAM_URL into a stripped /api route for any caller', () => {
    expect(loadRoutes({ upstreamUrl: 'http://backend:9000/base/', routesFile: undefined })).toEqual({
      ok: true,
      routes: [
        { path: '/api', origin: 'http://backend:9000', basePath: '/base', stripPath: true, auth: 'any', token: 'access', timeoutMs: 30_000, websocket: true, maxConnections: 128, dpop: 'off' },
      ],
    });
  });

  it('reads every field of a route and applies the defaults', () => {
    const sut = load(`
routes:
  - path: /api/orders
    upstream: https://orders.internal:8443/v2
    strip_path: false
    auth: session
    groups: [admins]
    scopes: ['orders:read']
    audience: api://orders
    token: id
    timeout_ms: 5000
    max_connections: 16
  - path: /
    upstream: http://spa-backend
`);
    expect(sut).toEqual({
      ok: true,
      routes: [
        {
          path: '/api/orders',
          origin: 'https://orders.internal:8443',
          basePath: '/v2',
          stripPath: false,
          auth: 'session',
          groups: ['admins'],
          scopes: ['orders:read'],
          audience: 'api://orders',
          token: 'id',
          timeoutMs: 5000,
          websocket: true,
          maxConnections: 16,
          dpop: 'off',
        },
        { path: '/', origin: 'http://spa-backend', basePath: '', stripPath: true, auth: 'any', token: 'access', timeoutMs: 30_000, websocket: true, maxConnections: 128, dpop: 'off' },
      ],
    });
  });

  it('applies the file and the UPSTREAM_URL shortcut together', () => {
    const sut = load('routes:\n  - { path: /orders, upstream: "http://orders" }\n', 'http://backend');
    expect(sut.ok && sut.routes.map((route) => route.path)).toEqual(['/orders', '/api']);
  });

  it('names the route index and field of each problem', () => {
    const sut = load(`
routes:
  - path: /ok
    upstream: http://ok
  - path: /api/
    upstream: ftp://files
    auth: password
    timeout_ms: 1.5
    max_connections: 0
  - path: api/../x
    upstream: http://user:secret@host
    token: refresh
    strip_path: "yes"
    groups: admins
  - upstream: http://x
    colour: blue
`);
    expect(problems(sut)).toEqual([
      'ROUTES_FILE routes[1].path: must not end with / (except the root path /)',
      'ROUTES_FILE routes[1].upstream: must be an http(s) URL',
      'ROUTES_FILE routes[1].auth: must be one of session, bearer, client_credentials, any, none',
      'ROUTES_FILE routes[1].timeout_ms: must be a positive whole number of milliseconds',
      'ROUTES_FILE routes[1].max_connections: must be a positive whole number',
      'ROUTES_FILE routes[2].path: must start with /',
      'ROUTES_FILE routes[2].upstream: must not carry credentials, a query or a fragment',
      'ROUTES_FILE routes[2].strip_path: must be true or false',
      'ROUTES_FILE routes[2].groups: must be a list of strings',
      'ROUTES_FILE routes[2].token: must be one of access, id',
      'ROUTES_FILE routes[3].path: is required',
      'ROUTES_FILE routes[3]: unknown field colour',
    ]);
  });

  it.each([
    ['/a/../b', 'must not hold . or .. segments'],
    ['/a/./b', 'must not hold . or .. segments'],
    ['/a?b', 'must not hold ? # % or \\'],
    ['/a%2fb', 'must not hold ? # % or \\'],
    ['/a\\b', 'must not hold ? # % or \\'],
    ['/a#b', 'must not hold ? # % or \\'],
    ['/a//b', 'must not hold empty segments (//)'],
    ['/a b', 'must hold only URL path characters'],
  ])('refuses the route path %s', (path, message) => {
    expect(problems(load(`routes:\n  - path: ${JSON.stringify(path)}\n    upstream: http://x\n`))).toEqual([`ROUTES_FILE routes[0].path: ${message}`]);
  });

  it('refuses an upstream with a query or a non-positive timeout', () => {
    expect(problems(load('routes:\n  - { path: /a, upstream: "http://x/?q=1", timeout_ms: 0 }\n'))).toEqual([
      'ROUTES_FILE routes[0].upstream: must not carry credentials, a query or a fragment',
      'ROUTES_FILE routes[0].timeout_ms: must be a positive whole number of milliseconds',
    ]);
  });

  it('reads the step-up options acr and max_age', () => {
    const sut = load('routes:\n  - { path: /a, upstream: "http://x", acr: ["urn:okta:loa:2fa:any", phr], max_age: 900 }\n  - { path: /b, upstream: "http://x", max_age: 0 }\n');
    expect(sut.ok && sut.routes.map(({ acr, maxAge }) => ({ acr, maxAge }))).toEqual([
      { acr: ['urn:okta:loa:2fa:any', 'phr'], maxAge: 900 },
      { acr: undefined, maxAge: 0 },
    ]);
  });

  it.each([
    ['acr: []', 'ROUTES_FILE routes[0].acr: must list at least one acr value'],
    ['acr: urn:x', 'ROUTES_FILE routes[0].acr: must be a list of acr values'],
    ['acr: ["a b"]', 'ROUTES_FILE routes[0].acr[0]: entries must be printable ASCII without spaces, quotes or backslashes'],
    ['acr: [\'say"\']', 'ROUTES_FILE routes[0].acr[0]: entries must be printable ASCII without spaces, quotes or backslashes'],
    [`acr: [${'a'.repeat(200)}, ${'b'.repeat(60)}]`, 'ROUTES_FILE routes[0].acr: must total at most 255 characters, spaces included'],
    ['max_age: -1', 'ROUTES_FILE routes[0].max_age: must not be negative'],
    ['max_age: 1.5', 'ROUTES_FILE routes[0].max_age: must be a whole number of seconds'],
    ['max_age: "900"', 'ROUTES_FILE routes[0].max_age: must be a whole number of seconds'],
  ])('refuses the step-up option %s', (option, message) => {
    expect(problems(load(`routes:\n  - path: /a\n    upstream: http://x\n    ${option}\n`))).toEqual([message]);
  });

  it('refuses duplicate paths, in the file and against the shortcut', () => {
    const sut = load('routes:\n  - { path: /api, upstream: "http://a" }\n  - { path: /api, upstream: "http://b" }\n', 'http://c');
    expect(problems(sut)).toEqual([
      'ROUTES_FILE routes[1].path: /api is already defined by routes[0]',
    ]);
    expect(problems(load('routes:\n  - { path: /api, upstream: "http://a" }\n', 'http://c'))).toEqual([
      'UPSTREAM_URL: its /api route is also defined by ROUTES_FILE routes[0]',
    ]);
  });

  it('refuses paths that differ only in case: routes are matched case-insensitively', () => {
    expect(problems(load('routes:\n  - { path: /Admin, upstream: "http://a" }\n  - { path: /admin, upstream: "http://b" }\n'))).toEqual([
      'ROUTES_FILE routes[1].path: /admin is already defined by routes[0]',
    ]);
    expect(problems(load('routes:\n  - { path: /API, upstream: "http://a" }\n', 'http://c'))).toEqual([
      'UPSTREAM_URL: its /api route is also defined by ROUTES_FILE routes[0]',
    ]);
  });

  it('says so when the file is missing, not YAML, or not a routes mapping', () => {
    expect(problems(loadRoutes({ routesFile: join(routesFile.dir(), 'absent.yaml'), upstreamUrl: undefined }))).toEqual([`ROUTES_FILE: cannot read ${join(routesFile.dir(), 'absent.yaml')} (ENOENT)`]);
    expect(problems(load('routes: [\n  - path: /a\n'))).toEqual([expect.stringMatching(/^ROUTES_FILE: .*routes\.yaml is not valid YAML: .+/)]);
    expect(problems(load(''))).toEqual(['ROUTES_FILE: must be a mapping with a routes list']);
    expect(problems(load('- path: /a\n'))).toEqual(['ROUTES_FILE: must be a mapping with a routes list']);
    expect(problems(load('routes: {}\nextra: 1\n'))).toEqual(['ROUTES_FILE routes: must be a list of routes', 'ROUTES_FILE: unknown field extra']);
  });
});
