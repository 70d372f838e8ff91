import fc from 'fast-check';
import type { IncomingMessage } from 'node:http';
import type { HttpConfig, SessionConfig } from '../config/app-config';
import { SessionCookie } from './session-cookie';
import { SessionGate } from './session-gate';
import { SessionEnded } from './session.errors';
import type { SessionStore } from './session.store';
import type { Session, SessionLookup } from './session.types';
import type { TokenRefresher } from './token-refresher';

const ORIGIN = 'https://app.example.com';
const SESSION_ID = 'a'.repeat(43);
const CSRF = { 'x-csrf': '1' };
const config = { cookieName: 'bff-session', cookieSecure: true, absoluteTimeoutSeconds: 28_800, csrfHeader: 'x-csrf' } as SessionConfig;

const session = { keyHash: 'hash', version: 1, contents: { accessTokenExpiresAt: Date.now() + 300_000 } } as Session;

function setUp(lookup: SessionLookup = { status: 'active', session }) {
  const store = { lookupCached: jest.fn(() => Promise.resolve(lookup)), cachedSession: jest.fn((): Session | undefined => undefined) };
  const refresher = { ensureFresh: jest.fn((_id: string, current: Session) => Promise.resolve(current)), isDue: jest.fn(() => false) };
  const sut = new SessionGate(store as unknown as SessionStore, refresher as unknown as TokenRefresher, new SessionCookie(config), { publicUrl: ORIGIN } as HttpConfig, config);
  return { sut, store, refresher };
}

const request = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;
const withCookie = (headers: Record<string, string> = {}, value = SESSION_ID) => request({ cookie: `other=1; bff-session=${value}`, ...headers });

describe('SessionGate.enter', () => {
  it('opens a live session, refreshed when due', async () => {
    const { sut, refresher } = setUp();
    await expect(sut.enter(withCookie(CSRF))).resolves.toEqual({ sessionId: SESSION_ID, session });
    expect(refresher.ensureFresh).toHaveBeenCalledWith(SESSION_ID, session);
  });

  it('answers "sign in" (401, no cookie cleared) before the CSRF check when there is no session cookie', async () => {
    const { sut, store } = setUp();
    const refusal = sut.enter(request({ referer: `${ORIGIN}/orders` }));
    await expect(refusal).rejects.toMatchObject({ status: 401, code: 'not_authenticated', options: { body: { login_url: '/auth/login?returnTo=%2Forders' } } });
    await expect(refusal).rejects.not.toHaveProperty(['options', 'headers', 'set-cookie']);
    expect(store.lookupCached).not.toHaveBeenCalled();
  });

  it('refuses a cookie without the CSRF header (403) and never reads the vault', async () => {
    const { sut, store } = setUp();
    await expect(sut.enter(withCookie())).rejects.toMatchObject({ status: 403, code: 'csrf_header_missing' });
    await expect(sut.enter(withCookie({ 'x-csrf': 'yes' }))).rejects.toMatchObject({ status: 403 });
    expect(store.lookupCached).not.toHaveBeenCalled();
  });

  it('reads a cookie that cannot be a session id as an expired session, and clears it', async () => {
    const { sut, store } = setUp();
    const refusal = sut.enter(withCookie(CSRF, 'garbage'));
    await expect(refusal).rejects.toMatchObject({ status: 401, code: 'session_expired' });
    await expect(refusal).rejects.toHaveProperty(['options', 'headers', 'set-cookie'], new SessionCookie(config).clear());
    expect(store.lookupCached).not.toHaveBeenCalled();
  });

  it.each(['session_expired', 'session_revoked'] as const)('answers an ended session with its reason (%s)', async (reason) => {
    const { sut } = setUp({ status: 'ended', reason });
    await expect(sut.enter(withCookie(CSRF))).rejects.toMatchObject({ status: 401, code: reason });
  });

  it('answers a refresh the IdP refused as refresh_failed', async () => {
    const { sut, refresher } = setUp();
    refresher.ensureFresh.mockRejectedValue(new SessionEnded('refresh_failed'));
    await expect(sut.enter(withCookie(CSRF))).rejects.toMatchObject({ status: 401, code: 'refresh_failed' });
  });

  it('passes other failures (Redis down) through untouched', async () => {
    const { sut, store } = setUp();
    const outage = new Error('redis down');
    store.lookupCached.mockRejectedValue(outage);
    await expect(sut.enter(withCookie(CSRF))).rejects.toBe(outage);
  });

  it('reads the session as stored when asked not to refresh', async () => {
    const { sut, refresher } = setUp();
    await sut.enter(withCookie(CSRF), { antiForgery: 'csrf-header', refresh: false });
    expect(refresher.ensureFresh).not.toHaveBeenCalled();
  });

  it('checks Origin instead of the CSRF header for a WebSocket handshake', async () => {
    const { sut } = setUp();
    const upgrade = { antiForgery: 'origin', refresh: true } as const;
    await expect(sut.enter(withCookie({ origin: ORIGIN }), upgrade)).resolves.toMatchObject({ sessionId: SESSION_ID });
    await expect(sut.enter(withCookie({ origin: 'https://evil.example', ...CSRF }), upgrade)).rejects.toMatchObject({ status: 403, code: 'origin_mismatch' });
  });

  it('answers any request without our cookie 401 not_authenticated, whatever else it sends', async () => {
    const { sut } = setUp();
    const header = fc.constantFrom('x-csrf', 'origin', 'referer', 'authorization', 'cookie');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(header, fc.string({ maxLength: 20 })), async (headers) => {
        fc.pre(!(headers['cookie'] ?? '').includes('bff-session='));
        await expect(sut.enter(request(headers))).rejects.toMatchObject({ status: 401, code: 'not_authenticated' });
      }),
    );
  });
});

describe('SessionGate.enterCached', () => {
  it('opens a session this instance holds whose token is not due', () => {
    const { sut, store } = setUp();
    store.cachedSession.mockReturnValue(session);
    expect(sut.enterCached(withCookie(CSRF))).toEqual({ sessionId: SESSION_ID, session });
  });

  it('leaves everything else to enter: no CSRF header, not cached, token due', () => {
    const { sut, store, refresher } = setUp();
    expect(sut.enterCached(withCookie(CSRF))).toBeUndefined();
    store.cachedSession.mockReturnValue(session);
    expect(sut.enterCached(withCookie())).toBeUndefined();
    refresher.isDue.mockReturnValue(true);
    expect(sut.enterCached(withCookie(CSRF))).toBeUndefined();
  });

  it('asks the same anti-forgery rule as enter, and minds a due token only where enter would refresh it', () => {
    const { sut, store, refresher } = setUp();
    store.cachedSession.mockReturnValue(session);
    const upgrade = { antiForgery: 'origin', refresh: true } as const;
    expect(sut.enterCached(withCookie({ origin: ORIGIN }), upgrade)).toEqual({ sessionId: SESSION_ID, session });
    expect(sut.enterCached(withCookie({ origin: 'https://evil.example', ...CSRF }), upgrade)).toBeUndefined();
    refresher.isDue.mockReturnValue(true);
    expect(sut.enterCached(withCookie(CSRF), { antiForgery: 'csrf-header', refresh: false })).toEqual({ sessionId: SESSION_ID, session });
  });
});
