import { ROUTE_DPOP_MODES } from '../../forwarding/route';
import { dpopDemand, type TokenScheme } from './dpop-rule';
import { requestPathOf } from './dpop-target';

describe('dpopDemand', () => {
  const BOUND = 'jkt-of-the-key';

  // Per route mode and scheme: the demand for an unbound token, then for a bound one.
  const EXPECTED = {
    off: { bearer: ['none', 'refuse'], dpop: ['refuse', 'refuse'] },
    optional: { bearer: ['none', 'refuse'], dpop: ['refuse', 'proof'] },
    required: { bearer: ['refuse', 'refuse'], dpop: ['refuse', 'proof'] },
  } as const;
  const cases = ROUTE_DPOP_MODES.flatMap((mode) =>
    (['bearer', 'dpop'] as const).flatMap((scheme) => [undefined, BOUND].map((boundKey, bound) => [mode, scheme, boundKey, EXPECTED[mode][scheme][bound]] as const)),
  );

  it.each(cases)('on a %s route, a %s token bound to %s: %s', (mode, scheme, boundKey, kind) => {
    expect(dpopDemand(mode, scheme, boundKey).kind).toBe(kind);
  });

  it('refuses with 401 invalid_token in the DPoP scheme where the route takes DPoP, and asks a proof by the bound key', () => {
    expect(dpopDemand('off', 'dpop', BOUND)).toMatchObject({ error: { status: 401, code: 'invalid_token', options: { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } } } });
    for (const mode of ['optional', 'required'] as const) {
      for (const scheme of ['bearer', 'dpop'] as TokenScheme[]) {
        const demand = dpopDemand(mode, scheme, BOUND);
        if (demand.kind === 'refuse') expect(demand.error).toMatchObject({ status: 401, code: 'invalid_token', options: { headers: { 'www-authenticate': expect.stringMatching(/^DPoP error="invalid_token", algs="/) as unknown } } });
        if (demand.kind === 'proof') expect(demand.boundKey).toBe(BOUND);
      }
    }
  });
});

describe('requestPathOf', () => {
  it.each([
    ['/api/orders?page=2', '/api/orders'],
    ['/api/%7Eorders/', '/api/%7Eorders/'],
    ['http://app.example.com/api/x?y', '/api/x'],
    ['', '/'],
    [undefined, '/'],
  ])('reads %s as %s', (target, path) => {
    expect(requestPathOf(target)).toBe(path);
  });
});
