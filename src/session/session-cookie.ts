import { Inject, Injectable } from '@nestjs/common';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { clearCookie, readCookie, readSessionId, serializeCookie } from './cookies';

/** The one session cookie: opaque id, HttpOnly, SameSite=Lax, Path=/, Secure (and `__Host-`) on https. */
@Injectable()
export class SessionCookie {
  readonly name: string;
  private readonly secure: boolean;
  private readonly maxAgeSeconds: number;

  constructor(@Inject(SESSION_CONFIG) config: SessionConfig) {
    this.name = config.cookieName;
    this.secure = config.cookieSecure;
    this.maxAgeSeconds = config.absoluteTimeoutSeconds;
  }

  read(cookieHeader: string | undefined): string | undefined {
    return readSessionId(cookieHeader, this.name);
  }

  /** True when a cookie of our name is present, valid-looking or not (distinguishes "expired" from "never logged in"). */
  present(cookieHeader: string | undefined): boolean {
    return readCookie(cookieHeader, this.name) !== undefined;
  }

  issue(sessionId: string): string {
    return serializeCookie(this.name, sessionId, { secure: this.secure, sameSite: 'Lax', maxAgeSeconds: this.maxAgeSeconds });
  }

  clear(): string {
    return clearCookie(this.name, { secure: this.secure, sameSite: 'Lax' });
  }
}
