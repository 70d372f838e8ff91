import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { clearCookie, readCookie, serializeCookie } from '../session/cookies';
import { LOGIN_STATE_TTL_SECONDS } from './login-state.store';

/**
 * A small random cookie per pending login that ties it to the browser that started it. Its name carries a digest of
 * the `state`, so several tabs logging in at once each keep their own. On https it is SameSite=None, because a
 * `form_post` callback is a cross-site POST from the IdP, which would not carry a Lax cookie.
 */
export class LoginBinding {
  private readonly prefix: string;

  constructor(private readonly secure: boolean) {
    this.prefix = secure ? '__Host-bff-login-' : 'bff-login-';
  }

  /** A new binding for `state`: the cookie to set, and the digest to keep server-side. */
  create(state: string): { cookie: string; digest: string } {
    const value = randomBytes(32).toString('base64url');
    return {
      cookie: serializeCookie(this.name(state), value, {
        secure: this.secure,
        sameSite: this.secure ? 'None' : 'Lax',
        maxAgeSeconds: LOGIN_STATE_TTL_SECONDS,
      }),
      digest: digest(value),
    };
  }

  matches(cookieHeader: string | undefined, state: string, expectedDigest: string): boolean {
    const value = readCookie(cookieHeader, this.name(state));
    if (!value) return false;
    const actual = Buffer.from(digest(value));
    const expected = Buffer.from(expectedDigest);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  clear(state: string): string {
    return clearCookie(this.name(state), { secure: this.secure, sameSite: this.secure ? 'None' : 'Lax' });
  }

  private name(state: string): string {
    return this.prefix + digest(state).slice(0, 16);
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
