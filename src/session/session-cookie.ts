import { Inject, Injectable } from '@nestjs/common';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { clearCookie, isSessionIdShaped, readCookie, readSessionId, serializeCookie } from './cookies';

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

  /** The session id, or why there is none: no cookie of our name, or one that cannot be a session id of ours. */
  inspect(cookieHeader: string | undefined): { sessionId: string } | 'absent' | 'malformed' {
    const value = readCookie(cookieHeader, this.name);
    if (value === undefined) return 'absent';
    return isSessionIdShaped(value) ? { sessionId: value } : 'malformed';
  }

  read(cookieHeader: string | undefined): string | undefined {
    return readSessionId(cookieHeader, this.name);
  }

  issue(sessionId: string): string {
    return serializeCookie(this.name, sessionId, { secure: this.secure, sameSite: 'Lax', maxAgeSeconds: this.maxAgeSeconds });
  }

  clear(): string {
    return clearCookie(this.name, { secure: this.secure, sameSite: 'Lax' });
  }
}
