import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpConfig, SessionConfig } from '../config/app-config';
import type { Session } from '../session/session.types';
import { BoundCookie } from './bound-cookie';
import type { DeviceBinding } from './device-binding.types';

const NOW = 1_800_000_000_000;
const binding: DeviceBinding = { id: 'binding-id-0123456789', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }, boundAt: NOW };
const http = { publicUrl: 'https://app.example.com' } as HttpConfig;

function cookieOf(keys: Buffer[], enabled = true, lifetime = 600): BoundCookie {
  const config = { cookieName: '__Host-bff-session', cookieSecure: true, encryptionKeys: keys, deviceBinding: { enabled, cookieLifetimeSeconds: lifetime } } as SessionConfig;
  return new BoundCookie(config, http);
}

/** The Cookie header a browser sends back for a Set-Cookie line. */
const sent = (setCookie: string) => setCookie.split(';', 1)[0] ?? '';
const sessionOf = (keyHash: string, bound: DeviceBinding | null = binding) => ({ keyHash, contents: { deviceBinding: bound ?? undefined } }) as Session;
const request = (cookie: string | undefined, referer?: string) => ({ headers: { cookie, referer } }) as unknown as IncomingMessage;

describe('BoundCookie', () => {
  const key = randomBytes(32);
  const sut = cookieOf([key]);

  it('is set HttpOnly, Secure, SameSite=Lax on Path=/ for its lifetime, under the session cookie name plus -bound', () => {
    expect(sut.issue('hash-a', binding, NOW)).toMatch(/^__Host-bff-session-bound=\d+\.[\w-]{11}\.[0-9a-f]{8}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=600$/);
    expect(sut.credentialAttributes).toBe('Path=/; HttpOnly; SameSite=Lax; Secure');
  });

  it('accepts its own cookie for the session and binding it was made for, until it expires', () => {
    const cookie = sent(sut.issue('hash-a', binding, NOW));

    expect(sut.verdict(`other=1; ${cookie}`, 'hash-a', binding, NOW + 599_000)).toBe('valid');
    expect(sut.verdict(cookie, 'hash-a', binding, NOW + 600_000)).toBe('expired');
  });

  it("refuses another session's cookie, another binding's, and any edited value", () => {
    const cookie = sent(sut.issue('hash-a', binding, NOW));
    const [name, value = ''] = cookie.split('=');
    const [expiry = '', nonce = '', kid = '', mac = ''] = value.split('.');

    expect(sut.verdict(cookie, 'hash-b', binding, NOW)).toBe('invalid');
    expect(sut.verdict(cookie, 'hash-a', { ...binding, id: 'another-binding-012345' }, NOW)).toBe('invalid');
    const edits = [
      `${Number(expiry) + 3600}.${nonce}.${kid}.${mac}`,
      `0${expiry}.${nonce}.${kid}.${mac}`,
      `${expiry}.AAAAAAAAAAA.${kid}.${mac}`,
      `${expiry}.${nonce}.00000000.${mac}`,
      `${expiry}.${nonce}.${kid}.${mac.slice(1)}`,
      `${expiry}.${kid}.${mac}`,
      'garbage',
    ];
    for (const edited of edits) expect([edited, sut.verdict(`${name}=${edited}`, 'hash-a', binding, NOW)]).toEqual([edited, 'invalid']);
  });

  it('is a new value on every issue, within the same second too (Chrome reads an unchanged one as no refresh)', () => {
    expect(sut.issue('hash-a', binding, NOW)).not.toBe(sut.issue('hash-a', binding, NOW));
  });

  it('tells a missing cookie apart (absent or empty)', () => {
    expect(sut.verdict(undefined, 'hash-a', binding, NOW)).toBe('missing');
    expect(sut.verdict('__Host-bff-session=abc', 'hash-a', binding, NOW)).toBe('missing');
    expect(sut.verdict('__Host-bff-session-bound=', 'hash-a', binding, NOW)).toBe('missing');
  });

  it('keeps accepting cookies of a key that moved down TOKEN_ENCRYPTION_KEYS, and none of a removed key', () => {
    const cookie = sent(sut.issue('hash-a', binding, NOW));

    expect(cookieOf([randomBytes(32), key]).verdict(cookie, 'hash-a', binding, NOW)).toBe('valid');
    expect(cookieOf([randomBytes(32)]).verdict(cookie, 'hash-a', binding, NOW)).toBe('invalid');
  });

  it('refuses a bound session without a valid cookie: 401 device_binding_required, its cookie cleared, the login URL given', () => {
    let refusal: unknown;
    try {
      sut.enforce(request('__Host-bff-session=abc', 'https://app.example.com/orders'), sessionOf('hash-a'));
    } catch (error: unknown) {
      refusal = error;
    }

    expect(refusal).toMatchObject({
      status: 401,
      code: 'device_binding_required',
      options: { body: { login_url: '/auth/login?returnTo=%2Forders' }, headers: { 'set-cookie': sut.clear() } },
    });
    expect(sut.admits(request(undefined), sessionOf('hash-a'))).toBe(false);
    expect(sut.clear()).toMatch(/^__Host-bff-session-bound=; .*Max-Age=0$/);
  });

  it('lets unbound sessions pass, and every session while binding is off', () => {
    expect(sut.admits(request(undefined), sessionOf('hash-a', null))).toBe(true);
    expect(() => sut.enforce(request(undefined), sessionOf('hash-a', null))).not.toThrow();
    expect(cookieOf([key], false).admits(request(undefined), sessionOf('hash-a'))).toBe(true);
  });
});
