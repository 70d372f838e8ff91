import { Inject, Injectable, Optional } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../common/app.error';
import type { HttpConfig, SessionConfig } from '../config/app-config';
import { HTTP_CONFIG, SESSION_CONFIG } from '../config/config.tokens';
import { SessionCookie } from './session-cookie';
import { loginUrlFor } from '../common/public-surface';
import { CsrfHeaderMissingError, SessionEnded, SessionError, type SessionFailure } from './session.errors';
import { SessionStore } from './session.store';
import type { Session } from './session.types';
import { TokenRefresher } from './token-refresher';
import { BoundCookie } from '../device-binding/bound-cookie';

/**
 * How a cookie-carrying call proves it comes from the app: the CSRF header (API calls), the browser-set `Origin`
 * (a WebSocket handshake, which cannot carry a custom header), or the logout's `sid`, which the caller checks
 * against the session's handle once it is known, or the device proof of a DBSC registration or refresh.
 */
export type AntiForgery = 'csrf-header' | 'origin' | 'logout-sid' | 'device-proof';

export interface OpenSession {
  sessionId: string;
  session: Session;
}

export interface EntryOptions {
  antiForgery: AntiForgery;
  /** Refresh the access token when it is due (proxied calls); `/auth/user` and logout read the session as stored. */
  refresh: boolean;
  /** `skip` for the DBSC endpoints alone: renewing the bound cookie is what they are for. */
  deviceBinding?: 'skip';
}

const CSRF_HEADER_ENTRY: EntryOptions = { antiForgery: 'csrf-header', refresh: true };

/**
 * The session protocol, in one place: no session cookie at all is "sign in" (401), answered before the anti-forgery
 * check; then the anti-forgery check (403); then the vault lookup and, when due, the refresh — every way a session
 * can end becomes the contract's 401 reason, with the login URL and the cookie cleared.
 */
@Injectable()
export class SessionGate {
  private readonly csrfHeader: string;
  private readonly publicOrigin: string;

  constructor(
    private readonly store: SessionStore,
    private readonly refresher: TokenRefresher,
    private readonly cookie: SessionCookie,
    @Inject(HTTP_CONFIG) private readonly http: HttpConfig,
    @Inject(SESSION_CONFIG) config: SessionConfig,
    @Optional() private readonly boundCookie?: BoundCookie,
  ) {
    this.csrfHeader = config.csrfHeader;
    this.publicOrigin = new URL(http.publicUrl).origin;
  }

  /**
   * `enter` for the common request, without waiting: the same anti-forgery rule passes, and this instance read the
   * session a moment ago (SessionCache) and its token is not due. `undefined` means "ask `enter`", which also produces
   * every refusal.
   */
  enterCached(request: IncomingMessage, options: EntryOptions = CSRF_HEADER_ENTRY): OpenSession | undefined {
    if (!this.isFromApp(request, options.antiForgery)) return undefined;
    const sessionId = this.cookie.read(request.headers.cookie);
    const session = sessionId === undefined ? undefined : this.store.cachedSession(sessionId);
    if (sessionId === undefined || !session || (options.refresh && this.refresher.isDue(session))) return undefined;
    return options.deviceBinding !== 'skip' && this.boundCookie?.admits(request, session) === false ? undefined : { sessionId, session };
  }

  async enter(request: IncomingMessage, options: EntryOptions = CSRF_HEADER_ENTRY): Promise<OpenSession> {
    const cookie = this.cookie.inspect(request.headers.cookie);
    if (cookie === 'absent') throw this.failure(request, 'not_authenticated');
    if (!this.isFromApp(request, options.antiForgery)) throw this.antiForgeryRefusal(options.antiForgery);
    try {
      if (cookie === 'malformed') throw new SessionEnded('session_expired');
      const { sessionId } = cookie;
      const lookup = await this.store.lookupCached(sessionId);
      if (lookup.status === 'ended') throw new SessionEnded(lookup.reason);
      if (options.deviceBinding !== 'skip') this.boundCookie?.enforce(request, lookup.session);
      const session = options.refresh ? await this.refresher.ensureFresh(sessionId, lookup.session) : lookup.session;
      return { sessionId, session };
    } catch (error: unknown) {
      throw error instanceof SessionEnded ? this.failure(request, error.reason) : error;
    }
  }

  /** Each anti-forgery rule, once: the cached and the uncached entry both ask it. */
  private isFromApp(request: IncomingMessage, antiForgery: AntiForgery): boolean {
    switch (antiForgery) {
      case 'csrf-header':
        return request.headers[this.csrfHeader] === '1';
      case 'origin':
        return request.headers.origin === this.publicOrigin;
      case 'logout-sid':
      case 'device-proof':
        // The caller checks the sid against the session's handle, or the device proof, once the session is known.
        return true;
    }
  }

  private antiForgeryRefusal(antiForgery: AntiForgery): AppError {
    return antiForgery === 'origin'
      ? new AppError(403, 'origin_mismatch', 'A WebSocket with the session cookie must come from the app\'s own origin.')
      : new CsrfHeaderMissingError(this.csrfHeader);
  }

  private failure(request: IncomingMessage, reason: SessionFailure): SessionError {
    const clear = reason === 'not_authenticated' ? undefined : this.cookie.clear();
    return new SessionError(reason, loginUrlFor(request.headers.referer, this.http.publicUrl), clear);
  }
}
