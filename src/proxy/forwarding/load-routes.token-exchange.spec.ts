import { useRoutesFile } from '../../../test/support/routes';
import { exchangeTargetOf } from '../../token-exchange/exchange-target';

describe('loadRoutes: token_exchange', () => {
  const routesFile = useRoutesFile();

  function routeWith(options: string, more = '') {
    return routesFile.load(`
routes:
  - path: /orders
    upstream: http://orders
${more}    token_exchange:
${options}`);
  }

  it('reads audience, resource and scope, a list of scopes as one space-separated string', () => {
    const sut = routeWith(`      audience: api://orders
      resource: https://orders.example/api
      scope: [orders:read, 'orders:write']
`);
    expect(sut).toMatchObject({
      ok: true,
      routes: [{ tokenExchange: { audience: 'api://orders', resource: 'https://orders.example/api', scope: 'orders:read orders:write' } }],
    });
  });

  it('names the target by a digest of what it asks, the same for routes that ask alike', () => {
    const sut = routeWith(`      audience: api://orders
      scope: orders:read
`);
    const key = sut.ok ? sut.routes[0]?.tokenExchange?.key : undefined;
    expect(key).toMatch(/^[\w-]{22}$/);
    expect(key).toBe(exchangeTargetOf({ audience: 'api://orders', scope: 'orders:read' }).key);
    expect(key).not.toBe(exchangeTargetOf({ audience: 'api://orders', scope: 'orders:write' }).key);
    expect(key).not.toBe(exchangeTargetOf({ audience: 'api://orders' }).key);
  });

  it.each([
    ['no target at all', '      {}\n', '', 'ROUTES_FILE routes[0].token_exchange: must name an audience, a resource or a scope'],
    ['a relative resource', '      resource: /orders\n', '', 'ROUTES_FILE routes[0].token_exchange.resource: must be an absolute URI without a fragment'],
    ['a scope with a quote', '      scope: \'a"b\'\n', '', 'ROUTES_FILE routes[0].token_exchange.scope: must list scopes of printable ASCII, without quotes or backslashes'],
    ['an audience with a space', '      audience: api orders\n', '', 'ROUTES_FILE routes[0].token_exchange.audience: must be printable ASCII without spaces'],
    ['an unknown field', '      actor: x\n', '', 'ROUTES_FILE routes[0].token_exchange: unknown field actor'],
    ['token: id', '      audience: api://orders\n', '    token: id\n', 'ROUTES_FILE routes[0].token_exchange: cannot be combined with token: id'],
    ['auth: none', '      audience: api://orders\n', '    auth: none\n', 'ROUTES_FILE routes[0].token_exchange: cannot be combined with auth: none'],
  ])('refuses %s, naming the field', (_case, options, more, problem) => {
    expect(routeWith(options, more)).toEqual({ ok: false, problems: [problem] });
  });
});
