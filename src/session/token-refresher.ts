import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnavailableError } from '../common/app.error';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { accessTokenFacts, decodeJwtPayload } from '../identity/claims';
import { classifyIdpError, type IdpFailure } from '../oidc/idp-errors';
import { OidcClient, type OriginalLogin } from '../oidc/oidc.client';
import type { TokenResult } from '../oidc/token-result';
import { InFlight } from '../common/in-flight';
import { RedisLease } from '../redis/redis-lease';
import { Tracing } from '../tracing/tracing';
import { SessionEnded } from './session.errors';
import { SessionStore } from './session.store';
import { SessionWatch } from './session-watch';
import type { Session } from './session.types';

// Longer than the IdP call's own timeout, so a live holder never loses its lease mid-call.
const LEASE_MS = 15_000;
const WAIT_STEP_MS = 20;

/**
 * Refreshes a session's access token before it expires, exactly once however many requests need it: concurrent
 * callers in this process share one promise; across instances a Redis lease picks one refresher and the others wait
 * for the stored result. The write is fenced by the session's version, and the rotated refresh token is stored before
 * the lease is released, so nobody ever uses a refresh token twice.
 */
@Injectable()
export class TokenRefresher {
  private readonly logger = new Logger('TokenRefresher');
  private readonly inFlight = new InFlight<Session>();
  private readonly skewMs: number;

  constructor(
    private readonly store: SessionStore,
    private readonly lease: RedisLease,
    private readonly oidc: OidcClient,
    private readonly metrics: MetricsService,
    @Inject(SESSION_CONFIG) config: SessionConfig,
    // Absent in unit specs; in the app it tells this instance's open sockets why their session ended.
    @Optional() private readonly watch?: SessionWatch,
    @Optional() private readonly tracing: Tracing = Tracing.off(),
  ) {
    this.skewMs = config.refreshSkewSeconds * 1000;
  }

  /** Whether the access token expires within the refresh skew (REFRESH_SKEW_SECONDS). */
  isDue(session: Session, now = Date.now()): boolean {
    return session.contents.accessTokenExpiresAt - this.skewMs <= now;
  }

  /** The session with an access token that is not due, refreshed first when it is; SessionEnded when it cannot go on. */
  async ensureFresh(sessionId: string, session: Session): Promise<Session> {
    if (!this.isDue(session)) return session;
    return this.inFlight.run(session.keyHash, () => this.tracing.span('session.refresh', () => this.refreshOnce(sessionId, session)));
  }

  private async refreshOnce(sessionId: string, seen: Session): Promise<Session> {
    // Never longer than one lease: past that the holder is gone or the IdP is stuck, and the caller gets a 503.
    const deadline = Date.now() + LEASE_MS;
    while (Date.now() < deadline) {
      const lease = await this.lease.tryTake(this.store.refreshLeaseKey(seen.keyHash), LEASE_MS);
      if (lease) {
        try {
          return await this.refreshHoldingLease(sessionId);
        } finally {
          await lease.release();
        }
      }
      const current = await this.tracing.span('session.refresh.lease_wait', () => this.waitForOtherRefresher(sessionId, seen, deadline));
      if (current) return current;
    }
    throw new ServiceUnavailableError('idp');
  }

  /** Another instance holds the lease: wait until it stores a newer token set, or lets the lease go. */
  private async waitForOtherRefresher(sessionId: string, seen: Session, deadline: number): Promise<Session | undefined> {
    while (await this.lease.isHeld(this.store.refreshLeaseKey(seen.keyHash))) {
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
      tokens = await this.oidc.refresh(refreshToken, this.originalLogin(current));
    } catch (error: unknown) {
      return this.onRefreshError(sessionId, current, error);
    }
    const scope = tokens.scope ?? current.contents.scope;
    const updated = await this.store.replaceContents(sessionId, current, {
      ...current.contents,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken ?? refreshToken,
      idToken: tokens.idToken ?? current.contents.idToken,
      accessTokenExpiresAt: tokens.expiresAt,
      scope,
      identity: { ...current.contents.identity, ...accessTokenFacts(tokens.accessToken, scope) },
    });
    this.metrics.refreshes.inc({ outcome: updated ? 'success' : 'superseded' });
    return updated ?? this.current(sessionId);
  }

  /**
   * A 400 (any body) or an answer that fails validation (another subject's ID token, a token that is not Bearer)
   * ends the session: the grant is gone or cannot be trusted. A refused client (401/403) is the operator's to fix: 503,
   * session kept. An unreachable IdP is nobody's: the old token is used while it is valid, then 503.
   */
  private async onRefreshError(sessionId: string, current: Session, error: unknown): Promise<Session> {
    const failure = classifyIdpError(error);
    const sub = current.contents.sub;
    switch (failure.kind) {
      case 'unreachable':
        return this.whileUnreachable(current, error);
      case 'client_rejected':
        // Contract: 503 even while the old token lasts, so that the misconfiguration shows at once; the session stays.
        this.logger.error({ sub, failure }, 'configuration error: the IdP refused this client\'s authentication for a refresh; check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET');
        this.metrics.refreshes.inc({ outcome: 'client_rejected' });
        this.metrics.refreshFailures.inc({ reason: 'client_rejected' });
        throw new ServiceUnavailableError('idp', error);
      case 'grant_rejected':
      case 'invalid_response':
        return this.endSession(sessionId, sub, failure);
    }
  }

  private async endSession(sessionId: string, sub: string, failure: IdpFailure): Promise<never> {
    const reason = failure.kind === 'grant_rejected' ? (failure.error === 'invalid_grant' ? 'invalid_grant' : 'rejected') : 'invalid_response';
    this.metrics.refreshes.inc({ outcome: 'failed' });
    this.metrics.refreshFailures.inc({ reason });
    if (failure.kind === 'invalid_response' && /_(subject|issuer)_changed$/.test(failure.code)) {
      this.logger.error({ sub, failure }, 'the refreshed ID token names another subject or issuer than the session (OIDC Core 12.2); the session ends and the tokens are discarded');
    } else {
      this.logger.warn({ sub, failure }, 'the IdP rejected the refresh, or its answer failed validation; the session ends');
    }
    this.watch?.ended(sessionId, 'refresh_failed');
    await this.store.destroy(sessionId);
    throw new SessionEnded('refresh_failed');
  }

  /** The stored ID token was verified when it was stored: its iss and nonce are what a refreshed one must repeat. */
  private originalLogin(current: Session): OriginalLogin {
    const claims = decodeJwtPayload(current.contents.idToken);
    const issuer = typeof claims['iss'] === 'string' ? claims['iss'] : this.oidc.issuer;
    const nonce = typeof claims['nonce'] === 'string' ? claims['nonce'] : undefined;
    return { issuer, subject: current.contents.sub, ...(nonce === undefined ? {} : { nonce }) };
  }

  /** Contract: when the IdP cannot refresh, the old access token is used while it is still valid, else 503. */
  private whileUnreachable(current: Session, error: unknown): Session {
    this.metrics.refreshes.inc({ outcome: 'idp_unreachable' });
    this.metrics.refreshFailures.inc({ reason: 'idp_unreachable' });
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
    throw new SessionEnded(lookup.reason);
  }
}
