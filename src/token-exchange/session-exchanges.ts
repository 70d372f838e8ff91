import { Inject, Injectable } from '@nestjs/common';
import { ServiceUnavailableError } from '../common/app.error';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { RedisLease } from '../redis/redis-lease';
import { SharedSingleFlight } from '../redis/shared-single-flight';
import type { OpenSession } from '../session/session-gate';
import { SessionStore } from '../session/session.store';
import type { ExchangedToken, Session } from '../session/session.types';
import { ExchangeGrant } from './exchange-grant';
import type { ExchangeTarget } from './exchange-target';
import { reusable, withExchanged } from './exchanged-tokens';

// Longer than the IdP call's own timeout, so a live holder never loses its lease mid-call.
const LEASE_MS = 15_000;

/**
 * A session's exchanged tokens live in its vault entry, sealed beside its own tokens: whatever ends the session
 * (logout, revocation, the absolute timeout, a failed refresh) ends them, and a call whose session this instance
 * read a moment ago finds its route's token in what it read. One exchange per session and route across the fleet.
 */
@Injectable()
export class SessionExchanges {
  private readonly flight: SharedSingleFlight<ExchangedToken>;
  private readonly skewMs: number;

  constructor(
    private readonly store: SessionStore,
    private readonly grant: ExchangeGrant,
    lease: RedisLease,
    @Inject(SESSION_CONFIG) config: SessionConfig,
  ) {
    this.flight = new SharedSingleFlight(lease);
    this.skewMs = config.refreshSkewSeconds * 1000;
  }

  /** The route's token from the session as read, while it may be used; no I/O. */
  cached(open: OpenSession, target: ExchangeTarget): ExchangedToken | undefined {
    return reusable(open.session.contents.exchanged?.[target.key], this.skewMs);
  }

  exchange(open: OpenSession, target: ExchangeTarget): Promise<ExchangedToken> {
    const cached = this.cached(open, target);
    if (cached) return Promise.resolve(cached);
    const { keyHash, version } = open.session;
    // The version as generation: a caller that read the session after another write does not join older work.
    return this.flight.run(
      `${keyHash} ${target.key}`,
      {
        leaseKey: this.store.exchangeLeaseKey(keyHash, target.key),
        leaseMs: LEASE_MS,
        waitMs: LEASE_MS,
        hold: () => this.exchangeHoldingLease(open, target),
        read: async () => this.storedToken(await this.stored(open), target),
        afterWait: () => Promise.reject(new ServiceUnavailableError('idp')),
        withoutRedis: 'fail',
      },
      version,
    );
  }

  private async exchangeHoldingLease(open: OpenSession, target: ExchangeTarget): Promise<ExchangedToken> {
    // Another instance may have stored the route's token just before we took the lease.
    const stored = await this.stored(open);
    const already = this.storedToken(stored, target);
    if (already) return already;
    // The freshest subject: another instance may have refreshed the session since this one read it.
    const subject = (stored ?? open.session).contents;
    const token = await this.grant.obtain(subject.accessToken, subject.accessTokenExpiresAt, target, subject.dpopKey);
    // Kept only beside the token it was exchanged from; a session that ended meanwhile keeps nothing.
    if (stored) {
      await this.store.updateContents(open.sessionId, stored, (contents) =>
        contents.accessToken === subject.accessToken ? withExchanged(contents, target.key, token, this.skewMs) : undefined,
      );
    }
    return token;
  }

  private storedToken(stored: Session | undefined, target: ExchangeTarget): ExchangedToken | undefined {
    return reusable(stored?.contents.exchanged?.[target.key], this.skewMs);
  }

  private async stored({ sessionId }: OpenSession): Promise<Session | undefined> {
    const lookup = await this.store.lookup(sessionId);
    return lookup.status === 'active' ? lookup.session : undefined;
  }
}
