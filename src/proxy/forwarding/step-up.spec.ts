import type { Route } from './route';
import { insufficientUserAuthentication, insufficientUserAuthenticationError, stepUpConfigProblems, stepUpRequired, unmetStepUp } from './step-up';

const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;
const ORIGIN = 'https://app.example.com';

describe('unmetStepUp', () => {
  it('asks nothing of a route without acr or max_age', () => {
    expect(unmetStepUp({}, {}, NOW_MS)).toBeUndefined();
  });

  it('is met by an acr among the route\'s and unmet by another or none', () => {
    const route = { acr: ['urn:mfa', 'urn:hw'] };
    expect(unmetStepUp(route, { acr: 'urn:hw' }, NOW_MS)).toBeUndefined();
    expect(unmetStepUp(route, { acr: 'urn:pwd' }, NOW_MS)).toEqual({ acrValues: ['urn:mfa', 'urn:hw'] });
    expect(unmetStepUp(route, {}, NOW_MS)).toEqual({ acrValues: ['urn:mfa', 'urn:hw'] });
  });

  it('is met by an auth_time at most max_age seconds ago, and unmet without one', () => {
    const route = { maxAge: 300 };
    expect(unmetStepUp(route, { authTime: NOW - 300 }, NOW_MS)).toBeUndefined();
    expect(unmetStepUp(route, { authTime: NOW + 5 }, NOW_MS)).toBeUndefined();
    expect(unmetStepUp(route, { authTime: NOW - 301 }, NOW_MS)).toEqual({ maxAge: 300 });
    expect(unmetStepUp(route, {}, NOW_MS)).toEqual({ maxAge: 300 });
    expect(unmetStepUp({ maxAge: 0 }, { authTime: NOW }, NOW_MS)).toBeUndefined();
  });

  it('names every rule of the route when one of them fails', () => {
    const route = { acr: ['urn:mfa'], maxAge: 60 };
    expect(unmetStepUp(route, { acr: 'urn:mfa', authTime: NOW - 61 }, NOW_MS)).toEqual({ acrValues: ['urn:mfa'], maxAge: 60 });
    expect(unmetStepUp(route, { acr: 'urn:pwd', authTime: NOW }, NOW_MS)).toEqual({ acrValues: ['urn:mfa'], maxAge: 60 });
    expect(unmetStepUp(route, { acr: 'urn:mfa', authTime: NOW }, NOW_MS)).toBeUndefined();
  });
});

describe('insufficientUserAuthentication', () => {
  it('reads acr_values and max_age from an RFC 9470 challenge', () => {
    expect(insufficientUserAuthentication('Bearer error="insufficient_user_authentication", acr_values="urn:a urn:b", max_age="120"')).toEqual({
      acrValues: ['urn:a', 'urn:b'],
      maxAge: 120,
    });
  });

  it('finds the challenge among others, whatever the scheme\'s case', () => {
    expect(insufficientUserAuthentication(['Basic realm="x"', 'bearer realm="api", error=insufficient_user_authentication, max_age=5'])).toEqual({
      maxAge: 5,
    });
  });

  it('ignores other errors, other schemes and no header', () => {
    expect(insufficientUserAuthentication('Bearer error="invalid_token"')).toBeUndefined();
    expect(insufficientUserAuthentication('DPoP error="insufficient_user_authentication"')).toBeUndefined();
    expect(insufficientUserAuthentication(undefined)).toBeUndefined();
  });

  it('drops parameter values it would not put in a login URL', () => {
    expect(insufficientUserAuthentication('Bearer error="insufficient_user_authentication", acr_values="caf\u00e9", max_age=-1')).toEqual({});
    expect(insufficientUserAuthentication(`Bearer error="insufficient_user_authentication", acr_values="${'a'.repeat(256)}", max_age=1.5`)).toEqual({});
  });
});

describe('stepUpRequired', () => {
  it('points login_url at the calling page with the acr values and max_age to ask for', () => {
    const error = stepUpRequired({ acrValues: ['urn:a', 'urn:b'], maxAge: 60 }, `${ORIGIN}/reports?y=1`, ORIGIN);
    expect([error.status, error.code]).toEqual([401, 'step_up_required']);
    expect(error.options.body).toEqual({ login_url: '/auth/login?returnTo=%2Freports%3Fy%3D1&acr_values=urn%3Aa%20urn%3Ab&max_age=60' });
  });

  it('returns to / when the page is unknown or on another origin', () => {
    expect(stepUpRequired({ maxAge: 0 }, undefined, ORIGIN).options.body).toEqual({ login_url: '/auth/login?returnTo=%2F&max_age=0' });
    expect(stepUpRequired({}, 'https://evil.example/x', ORIGIN).options.body).toEqual({ login_url: '/auth/login?returnTo=%2F' });
  });
});

describe('insufficientUserAuthenticationError', () => {
  it('answers a token client with RFC 9470\'s challenge', () => {
    const error = insufficientUserAuthenticationError({ acrValues: ['urn:a'], maxAge: 30 });
    expect([error.status, error.code]).toEqual([401, 'insufficient_user_authentication']);
    expect(error.options.headers?.['www-authenticate']).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent authentication is required", acr_values="urn:a", max_age=30',
    );
  });
});

describe('stepUpConfigProblems', () => {
  const base: Route = { path: '/a', origin: 'http://x', basePath: '', stripPath: true, auth: 'any', token: 'access', timeoutMs: 1000, websocket: true, maxConnections: 128, dpop: 'off' };

  it('names each step-up option whose login parameter LOGIN_FORWARD_PARAMS leaves out', () => {
    const routes = [base, { ...base, path: '/mfa', acr: ['urn:mfa'] }, { ...base, path: '/fresh', maxAge: 60 }];
    expect(stepUpConfigProblems(routes, new Set(['acr_values', 'max_age']))).toEqual([]);
    expect(stepUpConfigProblems(routes, new Set(['prompt']))).toEqual([
      'ROUTES_FILE route /mfa: acr needs acr_values in LOGIN_FORWARD_PARAMS',
      'ROUTES_FILE route /fresh: max_age needs max_age in LOGIN_FORWARD_PARAMS',
    ]);
  });
});
