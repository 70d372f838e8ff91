import type { SessionConfig } from '../config/app-config';
import { SessionCookie } from './session-cookie';

const base = { absoluteTimeoutSeconds: 28800 } as SessionConfig;

describe('SessionCookie', () => {
  it('is a __Host- cookie with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain on https', () => {
    const sut = new SessionCookie({ ...base, cookieName: '__Host-bff-session', cookieSecure: true });
    const header = sut.issue('A'.repeat(43));
    expect(header).toBe(`__Host-bff-session=${'A'.repeat(43)}; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=28800`);
    expect(header).not.toMatch(/Domain=/i);
  });

  it('drops Secure on plain http, where browsers would refuse the cookie', () => {
    const sut = new SessionCookie({ ...base, cookieName: 'bff-session', cookieSecure: false });
    expect(sut.issue('B'.repeat(43))).toBe(`bff-session=${'B'.repeat(43)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=28800`);
    expect(sut.clear()).toBe('bff-session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
  });
});
