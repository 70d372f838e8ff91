import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnavailableError } from '../common/app.error';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { classifyIdpError } from '../oidc/idp-errors';
import { OidcClient } from '../oidc/oidc.client';
import type { TokenResult } from '../oidc/token-result';
import { SessionStore } from './session.store';
import { SessionWatch } from './session-watch';
import type { Session } from './session.types';

// Longer than the IdP call's own timeout, so a live holder never loses its lease mid-call.
const LEASE_MS = 15_000;
const WAIT_STEP_MS = 20;

/** The session cannot continue; the caller answers 401 with this reason. */
export class SessionEnded extends Error {
  constructor(readonly reason: 'refresh_failed' | 'session_expired' | 'session_revoked') {
    super(reason);
  }
}

/**
 * Refreshes a session's access token before it expires, exactly once however many requests need it: concurrent
 * callers in this process share one promise; across instances a Redis lease picks one refresher and the others wait
 * for the stored result. The write is fenced by the session's version, and the rotated refresh token is stored before
 * the lease is released, so nobody ever uses a refresh token twice.
 */
@Injectable()
export class TokenRefresher {
  private readonly logger = new Logger('TokenRefresher');
  private readonly inFlight = new Map<string, Promise<Session>>();
  private readonly skewMs: number;

  constructor(
    private readonly store: SessionStore,
    private readonly oidc: OidcClient,
    private readonly metrics: MetricsService,
    @Inject(SESSION_CONFIG) config: SessionConfig,
    // Absent in unit specs; in the app it tells this instance's open sockets why their session ended.
    @Optional() private readonly watch?: SessionWatch,
  ) {
    this.skewMs = config.refreshSkewSeconds * 1000;
  }

  isDue(session: Session, now = Date.now()): boolean {
    return session.contents.accessTokenExpiresAt - this.skewMs <= now;
  }

  async ensureFresh(sessionId: string, session: Session): Promise<Session> {
    if (!this.isDue(session)) return session;
    let pending = this.inFlight.get(session.keyHash);
    if (!pending) {
      pending = this.refreshOnce(sessionId, session).finally(() => this.inFlight.delete(session.keyHash));
      this.inFlight.set(session.keyHash, pending);
    }
    return pending;
  }

  private async refreshOnce(sessionId: string, seen: Session): Promise<Session> {
    // Never longer than one lease: past that the holder is gone or the IdP is stuck, and the caller gets a 503.
    const deadline = Date.now() + LEASE_MS;
    while (Date.now() < deadline) {
      const release = await this.store.tryLockRefresh(seen.keyHash, LEASE_MS);
      if (release) {
        try {
          return await this.refreshHoldingLease(sessionId);
        } finally {
          await release();
        }
      }
      const current = await this.waitForOtherRefresher(sessionId, seen, deadline);
      if (current) return current;
    }
    throw new ServiceUnavailableError('idp');
  }

  /** Another instance holds the lease: wait until it stores a newer token set, or lets the lease go. */
  private async waitForOtherRefresher(sessionId: string, seen: Session, deadline: number): Promise<Session | undefined> {
    while (await this.store.isRefreshLocked(seen.keyHash)) {
      if (Date.now() >= deadline) throw new ServiceUnavailableError('idp');
      await sleep(WAIT_STEP_MS);
    }
    const current = await this.current(sessionId);
    return current.version > seen.version || !this.isDue(current) ? current : undefined;
  }

  private async refreshHoldingLease(sessionId: string): Promise<Session> {
    // Re-read under the lease: another refresher may have finished just before we took it.
    const current = await this.current(sessionId);
    if (!this.isDue(current)) return current;
    const { refreshToken } = current.contents;
    if (!refreshToken) return this.endWithoutRefreshToken(sessionId, current);

    let tokens: TokenResult;
    try {
      tokens = await this.oidc.refresh(refreshToken);
    } catch (error: unknown) {
      return this.onRefreshError(sessionId, current, error);
    }
    const updated = await this.store.replaceContents(sessionId, current, {
      ...current.contents,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken ?? refreshToken,
      idToken: tokens.idToken ?? current.contents.idToken,
      accessTokenExpiresAt: tokens.expiresAt,
      scope: tokens.scope ?? current.contents.scope,
    });
    this.metrics.refreshes.inc({ outcome: updated ? 'success' : 'superseded' });
    return updated ?? this.current(sessionId);
  }

  /**
   * Only `invalid_grant` means the grant is gone (RFC 6749 §5.2) and ends the session. Anything else — the IdP down,
   * `temporarily_unavailable`, `server_error`, a misconfigured client secret, an answer that fails validation — is the
   * IdP's or the operator's trouble, not the user's: keep the session and use the old token while it is valid.
   */
  private async onRefreshError(sessionId: string, current: Session, error: unknown): Promise<Session> {
    const failure = error instanceof ServiceUnavailableError ? ({ kind: 'unreachable' } as const) : classifyIdpError(error);
    if (failure.kind !== 'rejected' || failure.error !== 'invalid_grant') {
      if (failure.kind !== 'unreachable') this.logger.error({ sub: current.contents.sub, failure }, 'the IdP refused a refresh for a reason other than invalid_grant');
      return this.whileRefreshImpossible(current, error, failure.kind === 'unreachable' ? 'idp_unreachable' : 'idp_error');
    }
    this.metrics.refreshes.inc({ outcome: 'failed' });
    this.metrics.refreshFailures.inc({ reason: failure.error });
    this.logger.warn({ sub: current.contents.sub }, 'the IdP rejected the refresh (invalid_grant); the session ends');
    this.watch?.ended(sessionId, 'refresh_failed');
    await this.store.destroy(sessionId);
    throw new SessionEnded('refresh_failed');
  }

  /** Contract: when the IdP cannot refresh, the old access token is used while it is still valid, else 503. */
  private whileRefreshImpossible(current: Session, error: unknown, reason: 'idp_unreachable' | 'idp_error'): Session {
    this.metrics.refreshes.inc({ outcome: reason });
    this.metrics.refreshFailures.inc({ reason });
    if (current.contents.accessTokenExpiresAt > Date.now()) return current;
    throw new ServiceUnavailableError('idp', error);
  }

  private async endWithoutRefreshToken(sessionId: string, current: Session): Promise<Session> {
    if (current.contents.accessTokenExpiresAt > Date.now()) return current;
    await this.store.destroy(sessionId);
    throw new SessionEnded('session_expired');
  }

  private async current(sessionId: string): Promise<Session> {
    const lookup = await this.store.lookup(sessionId);
    if (lookup.status === 'active') return lookup.session;
    throw new SessionEnded(lookup.status === 'not_authenticated' ? 'session_expired' : lookup.status);
  }
}
