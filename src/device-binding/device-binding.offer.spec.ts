import type { HttpConfig, SessionConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import type { SessionStore } from '../session/session.store';
import type { Session } from '../session/session.types';
import type { BindingStore } from './binding-store';
import type { BoundCookie } from './bound-cookie';
import { DeviceBindingService } from './device-binding.service';
import type { DeviceBinding } from './device-binding.types';

const ABSOLUTE_SECONDS = 28_800;
const config = { absoluteTimeoutSeconds: ABSOLUTE_SECONDS, deviceBinding: { enabled: true, cookieLifetimeSeconds: 600 } } as SessionConfig;
const SESSION_ID = 'a'.repeat(43);

function setUp(enabled = true) {
  const store = { issue: jest.fn(() => Promise.resolve('challenge-0123456789')) };
  const sut = new DeviceBindingService(
    store as unknown as BindingStore,
    {} as SessionStore,
    { enabled } as BoundCookie,
    new MetricsService(),
    { publicUrl: 'https://app.example.com' } as HttpConfig,
    config,
  );
  return { sut, store };
}

/** A session logged in `minutesAgo`, bound or not. */
function sessionOf(minutesAgo: number, deviceBinding?: DeviceBinding): Session {
  const absoluteExpiresAt = Date.now() - minutesAgo * 60_000 + ABSOLUTE_SECONDS * 1000;
  return { keyHash: 'hash', version: 1, absoluteExpiresAt, idleExpiresAt: absoluteExpiresAt, contents: { deviceBinding } } as Session;
}

const OFFER = '(ES256 RS256);path="/auth/device-binding/register";challenge="challenge-0123456789"';

describe('DeviceBindingService offers', () => {
  it('offers registration on the login\'s answer, unless the browser came from another site (its POST would carry no Lax cookie)', async () => {
    const { sut, store } = setUp();

    await expect(sut.offerAtLogin(SESSION_ID, 'same-site')).resolves.toBe(OFFER);
    await expect(sut.offerAtLogin(SESSION_ID, undefined)).resolves.toBe(OFFER);
    await expect(sut.offerAtLogin(SESSION_ID, 'cross-site')).resolves.toBeUndefined();
    expect(store.issue).toHaveBeenCalledTimes(2);
  });

  it('offers it on the app\'s own calls while the session is unbound and at most two minutes old', async () => {
    const { sut, store } = setUp();
    const bound: DeviceBinding = { id: 'binding-id-0123456789', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }, boundAt: 0 };

    await expect(sut.offerTo(sessionOf(1))).resolves.toBe(OFFER);
    await expect(sut.offerTo(sessionOf(3))).resolves.toBeUndefined();
    await expect(sut.offerTo(sessionOf(1, bound))).resolves.toBeUndefined();
    expect(store.issue).toHaveBeenCalledWith('hash', 'register', 120_000, expect.any(Number) as unknown);
    expect(store.issue).toHaveBeenCalledTimes(1);
  });

  it('offers nothing while binding is off, and never fails the request when the challenge cannot be stored', async () => {
    const { sut: off } = setUp(false);
    await expect(off.offerAtLogin(SESSION_ID, undefined)).resolves.toBeUndefined();
    await expect(off.offerTo(sessionOf(1))).resolves.toBeUndefined();

    const { sut, store } = setUp();
    store.issue.mockRejectedValueOnce(new Error('redis down'));
    await expect(sut.offerAtLogin(SESSION_ID, undefined)).resolves.toBeUndefined();
  });
});
