import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpConfig, SessionConfig } from '../config/app-config';
import { SessionCookie } from '../session/session-cookie';
import { SessionGate } from '../session/session-gate';
import type { SessionStore } from '../session/session.store';
import type { Session } from '../session/session.types';
import type { TokenRefresher } from '../session/token-refresher';
import { BoundCookie } from './bound-cookie';
import type { DeviceBinding } from './device-binding.types';

const SESSION_ID = 'a'.repeat(43);
const http = { publicUrl: 'https://app.example.com' } as HttpConfig;
const config = {
  cookieName: 'bff-session',
  cookieSecure: true,
  absoluteTimeoutSeconds: 28_800,
  csrfHeader: 'x-csrf',
  encryptionKeys: [randomBytes(32)],
  deviceBinding: { enabled: true, cookieLifetimeSeconds: 600 },
} as SessionConfig;
const binding: DeviceBinding = { id: 'binding-id-0123456789', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }, boundAt: 0 };
const bound = { keyHash: 'hash', version: 1, contents: { accessTokenExpiresAt: Date.now() + 300_000, deviceBinding: binding } } as Session;
const boundCookie = new BoundCookie(config, http);

function setUp() {
  const store = { lookupCached: jest.fn(() => Promise.resolve({ status: 'active', session: bound })), cachedSession: jest.fn(() => bound) };
  const refresher = { ensureFresh: jest.fn((_id: string, current: Session) => Promise.resolve(current)), isDue: jest.fn(() => false) };
  const sut = new SessionGate(store as unknown as SessionStore, refresher as unknown as TokenRefresher, new SessionCookie(config), http, config, boundCookie);
  return { sut, refresher };
}

const request = (cookies: string) => ({ headers: { 'x-csrf': '1', cookie: cookies } }) as unknown as IncomingMessage;
const withBoundCookie = request(`bff-session=${SESSION_ID}; ${boundCookie.issue('hash', binding).split(';', 1)[0] ?? ''}`);
const sessionCookieOnly = request(`bff-session=${SESSION_ID}`);

describe('SessionGate with a device-bound session', () => {
  it('opens it from memory only with its bound cookie; without, it leaves the refusal to enter', () => {
    const { sut } = setUp();

    expect(sut.enterCached(withBoundCookie)).toEqual({ sessionId: SESSION_ID, session: bound });
    expect(sut.enterCached(sessionCookieOnly)).toBeUndefined();
  });

  it('refuses the session cookie alone with 401 device_binding_required, before any token refresh', async () => {
    const { sut, refresher } = setUp();

    await expect(sut.enter(sessionCookieOnly)).rejects.toMatchObject({ status: 401, code: 'device_binding_required' });
    expect(refresher.ensureFresh).not.toHaveBeenCalled();
    await expect(sut.enter(withBoundCookie)).resolves.toEqual({ sessionId: SESSION_ID, session: bound });
  });

  it('lets the DBSC endpoints in without the bound cookie: renewing it is what they are for', async () => {
    const { sut } = setUp();

    await expect(sut.enter(sessionCookieOnly, { antiForgery: 'device-proof', refresh: false, deviceBinding: 'skip' })).resolves.toEqual({ sessionId: SESSION_ID, session: bound });
  });
});
