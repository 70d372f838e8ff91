import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Base64url } from '../common/sha256';
import { LOGIN_COOKIE_PREFIXES } from '../common/public-surface';
import { clearCookie, readCookie, serializeCookie } from '../session/cookies';
import { LOGIN_STATE_TTL_SECONDS } from './login-state.store';


// Pending logins a browser may hold at once; more are cleared, so a hostile page cannot fill the Cookie header.
const MAX_PENDING_LOGINS = 5;

/**
 * A small random cookie per pending login that ties it to the browser that started it. Its name carries a digest of
 * the `state`, so several tabs logging in at once each keep their own. It is SameSite=Lax, except with `form_post` on
 * https: that callback is a cross-site POST from the IdP, which would not carry a Lax cookie.
 */
export class LoginBinding {
  private readonly prefix: string;
  private readonly sameSite: 'Lax' | 'None';

  constructor(
    private readonly secure: boolean,
    formPost: boolean,
  ) {
    this.prefix = LOGIN_COOKIE_PREFIXES[secure ? 1 : 0];
    this.sameSite = secure && formPost ? 'None' : 'Lax';
  }

  /** Clearing cookies for the browser's oldest pending logins beyond the cap (a new one is about to be added). */
  clearExcess(cookieHeader: string | undefined): string[] {
    const names = (cookieHeader ?? '')
      .split(';')
      .map((part) => part.trim().split('=')[0] ?? '')
      .filter((name) => name.startsWith(this.prefix));
    return names.slice(0, Math.max(0, names.length - (MAX_PENDING_LOGINS - 1))).map((name) => this.clearByName(name));
  }

  /** A new binding for `state`: the cookie to set, and the digest to keep server-side. */
  create(state: string): { cookie: string; digest: string } {
    const value = randomBytes(32).toString('base64url');
    return {
      cookie: serializeCookie(this.name(state), value, {
        secure: this.secure,
        sameSite: this.sameSite,
        maxAgeSeconds: LOGIN_STATE_TTL_SECONDS,
      }),
      digest: sha256Base64url(value),
    };
  }

  matches(cookieHeader: string | undefined, state: string, expectedDigest: string): boolean {
    const value = readCookie(cookieHeader, this.name(state));
    if (!value) return false;
    const actual = Buffer.from(sha256Base64url(value));
    const expected = Buffer.from(expectedDigest);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  clear(state: string): string {
    return this.clearByName(this.name(state));
  }

  private clearByName(name: string): string {
    return clearCookie(name, { secure: this.secure, sameSite: this.sameSite });
  }

  private name(state: string): string {
    return this.prefix + sha256Base64url(state).slice(0, 16);
  }
}
