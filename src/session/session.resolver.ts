import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { HttpConfig, SessionConfig } from '../config/app-config';
import { HTTP_CONFIG, SESSION_CONFIG } from '../config/config.tokens';
import { AppError } from '../common/app.error';
import { SessionCookie } from './session-cookie';
import { CsrfHeaderMissingError, loginUrlFor, SessionError } from './session.errors';
import { SessionStore } from './session.store';
import type { Session } from './session.types';

export interface ResolvedSession {
  sessionId: string;
  session: Session;
}

/** Cookie → vault lookup, with the contract's reasons when there is no live session. */
@Injectable()
export class SessionResolver {
  private readonly csrfHeader: string;
  private readonly publicOrigin: string;

  constructor(
    private readonly store: SessionStore,
    private readonly cookie: SessionCookie,
    @Inject(HTTP_CONFIG) private readonly http: HttpConfig,
    @Inject(SESSION_CONFIG) config: SessionConfig,
  ) {
    this.csrfHeader = config.csrfHeader;
    this.publicOrigin = new URL(http.publicUrl).origin;
  }

  /**
   * The anti-forgery rule where no custom header can be sent (a browser's WebSocket handshake): the browser-set
   * `Origin` must be the BFF's own.
   */
  assertSameOrigin(request: IncomingMessage): void {
    if (request.headers.origin !== this.publicOrigin) {
      throw new AppError(403, 'origin_mismatch', 'A WebSocket with the session cookie must come from the app\'s own origin.');
    }
  }

  /** The anti-forgery rule for cookie-authenticated calls: a custom header a cross-site form or image cannot send. */
  assertCsrfHeader(request: IncomingMessage): void {
    if (!this.hasCsrfHeader(request)) throw new CsrfHeaderMissingError(this.csrfHeader);
  }

  /** Whether the browser sent a cookie of our name at all, valid or not. */
  hasSessionCookie(request: IncomingMessage): boolean {
    return this.cookie.present(request.headers.cookie);
  }

  hasCsrfHeader(request: IncomingMessage): boolean {
    return request.headers[this.csrfHeader] === '1';
  }

  /** The session when this instance read it a moment ago (SessionCache), without waiting; else `resolve`. */
  resolveCached(request: IncomingMessage): ResolvedSession | undefined {
    const sessionId = this.cookie.read(request.headers.cookie);
    const session = sessionId === undefined ? undefined : this.store.cachedSession(sessionId);
    return session && sessionId ? { sessionId, session } : undefined;
  }

  async resolve(request: IncomingMessage): Promise<ResolvedSession> {
    const cookieHeader = request.headers.cookie;
    const sessionId = this.cookie.read(cookieHeader);
    if (!sessionId) {
      if (this.cookie.present(cookieHeader)) throw this.failure(request, 'session_expired');
      throw this.failure(request, 'not_authenticated');
    }
    const lookup = await this.store.lookupCached(sessionId);
    if (lookup.status === 'active') return { sessionId, session: lookup.session };
    throw this.failure(request, lookup.status);
  }

  failure(request: IncomingMessage, reason: ConstructorParameters<typeof SessionError>[0]): SessionError {
    const clear = reason === 'not_authenticated' ? undefined : this.cookie.clear();
    return new SessionError(reason, loginUrlFor(request.headers.referer, this.http.publicUrl), clear);
  }
}
