import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ServiceUnavailableError } from '../common/app.error';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { MetricsService } from '../metrics/metrics.service';
import { accessTokenFacts, decodeJwtPayload } from '../identity/claims';
import { classifyIdpError, CLIENT_CREDENTIALS_HINT, type IdpFailure } from '../oidc/idp-errors';
import { OidcClient, type OriginalLogin } from '../oidc/oidc.client';
import type { TokenResult } from '../oidc/token-result';
import { RedisLease } from '../redis/redis-lease';
import { SharedSingleFlight } from '../redis/shared-single-flight';
import { Tracing } from '../tracing/tracing';
import { SessionEnded } from './session.errors';
import { SessionUserinfo, type RefreshUserinfo } from './session-userinfo';
import { SessionStore } from './session.store';
import { SessionWatch } from './session-watch';
import type { Session, VaultContents } from './session.types';

// Longer than the IdP call's own timeout, so a live holder never loses its lease mid-call.
const LEASE_MS = 15_000;

/**
 * Refreshes a session's access token before it expires, exactly once however many requests need it: concurrent
 * callers in this process share one promise; across instances a Redis lease picks one refresher and the others wait
 * for the stored result. The write is fenced by the session's version, and the rotated refresh token is stored before
 * the lease is released, so nobody ever uses a refresh token twice.
 */
@Injectable()
export class TokenRefresher {
  private readonly logger = new Logger('TokenRefresher');
  private readonly flight: SharedSingleFlight<Session>;
  private readonly skewMs: number;

  constructor(
    private readonly store: SessionStore,
    lease: RedisLease,
    private readonly oidc: OidcClient,
    private readonly metrics: MetricsService,
    @Inject(SESSION_CONFIG) config: SessionConfig,
    // Absent in unit specs; in the app it tells this instance's open sockets why their session ended.
    @Optional() private readonly watch?: SessionWatch,
    @Optional() private readonly tracing: Tracing = Tracing.off(),
    // Absent in unit specs that are not about it: OIDC_USERINFO off.
    @Optional() private readonly userinfo?: SessionUserinfo,
  ) {
    this.skewMs = config.refreshSkewSeconds * 1000;
    this.flight = new SharedSingleFlight(lease);
  }

  /** Whether the access token expires within the refresh skew (REFRESH_SKEW_SECONDS). */
  isDue(session: Session, now = Date.now()): boolean {
    return session.contents.accessTokenExpiresAt - this.skewMs <= now;
  }

  /** The session with an access token that is not due, refreshed first when it is; SessionEnded when it cannot go on. */
  async ensureFresh(sessionId: string, session: Session): Promise<Session> {
    if (!this.isDue(session)) return session;
    return this.flight.run(session.keyHash, {
      leaseKey: this.store.refreshLeaseKey(session.keyHash),
      leaseMs: LEASE_MS,
      // Never longer than one lease: past that the holder is gone or the IdP is stuck, and the caller gets a 503.
      waitMs: LEASE_MS,
      hold: () => this.refreshHoldingLease(sessionId),
      // Whatever moved the version (an exchange writes too), only a token that is no longer due ends the wait.
      read: async () => {
        const current = await this.current(sessionId);
        return this.isDue(current) ? undefined : current;
      },
      afterWait: () => Promise.reject(new ServiceUnavailableError('idp')),
      withoutRedis: 'fail',
      around: (flight) => this.tracing.span('session.refresh', flight),
      waiting: (wait) => this.tracing.span('session.refresh.lease_wait', wait),
    });
  }

  private async refreshHoldingLease(sessionId: string): Promise<Session> {
    // Re-read under the lease: another refresher may have finished just before we took it.
    const current = await this.current(sessionId);
    if (!this.isDue(current)) return current;
    const { refreshToken } = current.contents;
    if (!refreshToken) return this.endWithoutRefreshToken(sessionId, current);

    let tokens: TokenResult;
    try {
      // A session with a key (OIDC_DPOP) refreshes with a proof by it; its new tokens are bound to it too.
      tokens = await this.oidc.refresh(refreshToken, this.originalLogin(current), current.contents.dpopKey);
    } catch (error: unknown) {
      return this.onRefreshError(sessionId, current, error);
    }
    const userinfo: RefreshUserinfo = (await this.userinfo?.afterRefresh(tokens.accessToken, current.contents.sub, current.contents.dpopKey)) ?? { kind: 'unchanged' };
    if (userinfo.kind === 'other_subject') return this.endSession(sessionId, current.contents.sub, { kind: 'invalid_response', code: 'userinfo_sub' });
    // Another writer (a token exchange) may get in first: applied again to what it stored, so the rotated refresh
    // token is never dropped; declined when the refresh token is no longer the one used (another refresh won).
    const updated = await this.store.updateContents(sessionId, current, (stored) =>
      stored.refreshToken === refreshToken ? this.refreshed(stored, tokens, userinfo) : undefined,
    );
    this.metrics.refreshes.inc({ outcome: updated?.written ? 'success' : 'superseded' });
    return updated?.session ?? this.current(sessionId);
  }

  /** The stored contents with the refreshed tokens, and what they say of the user. */
  private refreshed(stored: VaultContents, tokens: TokenResult, userinfo: RefreshUserinfo): VaultContents {
    const scope = tokens.scope ?? stored.scope;
    const claims = userinfo.kind === 'claims' ? userinfo.claims : stored.userinfo;
    return {
      ...stored,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken ?? stored.refreshToken,
      idToken: tokens.idToken ?? stored.idToken,
      accessTokenExpiresAt: tokens.expiresAt,
      scope,
      identity: this.userinfo?.enabled
        ? this.userinfo.refreshedIdentity(stored, tokens, scope, claims)
        : { ...stored.identity, ...accessTokenFacts(tokens.accessToken, scope) },
      userinfo: claims,
      // Exchanged from the token being replaced and no longer lasting than it: they are due too.
      exchanged: undefined,
    };
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
        this.logger.error({ sub, failure }, `configuration error: the IdP refused this client's authentication for a refresh; ${CLIENT_CREDENTIALS_HINT}`);
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
