import { useRoutesFile } from '../../../test/support/routes';

describe('loadRoutes: dpop', () => {
  const routesFile = useRoutesFile();

  it('reads off, optional and required, and defaults to off (the UPSTREAM_URL shortcut too)', () => {
    const sut = routesFile.load(
      `routes:
  - { path: /a, upstream: "http://x", dpop: off }
  - { path: /b, upstream: "http://x", dpop: optional }
  - { path: /c, upstream: "http://x", auth: bearer, dpop: required }
  - { path: /d, upstream: "http://x" }
`,
      'http://backend',
    );
    expect(sut.ok && sut.routes.map(({ path, dpop }) => [path, dpop])).toEqual([
      ['/a', 'off'],
      ['/b', 'optional'],
      ['/c', 'required'],
      ['/d', 'off'],
      ['/api', 'off'],
    ]);
  });

  it.each([
    ['dpop: on', 'ROUTES_FILE routes[0].dpop: must be one of off, optional, required'],
    ['dpop: true', 'ROUTES_FILE routes[0].dpop: must be one of off, optional, required'],
    ['dpop: Required', 'ROUTES_FILE routes[0].dpop: must be one of off, optional, required'],
    ['dpop: required, auth: session', 'ROUTES_FILE routes[0].dpop: cannot be combined with auth: session'],
    ['dpop: optional, auth: client_credentials', 'ROUTES_FILE routes[0].dpop: cannot be combined with auth: client_credentials'],
    ['dpop: required, auth: none', 'ROUTES_FILE routes[0].dpop: cannot be combined with auth: none'],
  ])('refuses %s', (option, message) => {
    const sut = routesFile.load(`routes:\n  - { path: /a, upstream: "http://x", ${option} }\n`);
    expect(sut).toEqual({ ok: false, problems: [message] });
  });
});
