import { UNCONFIRMED_CALLER_TTL_MS } from '../../session/consumer-deletion';
import type { SessionCache } from '../../session/session-cache';
import { BoundedCache } from '../../common/bounded-cache';

interface Entry<C> {
  caller: C;
  /** The consumer epoch when the mapping began. */
  epoch: number;
  cachedAt: number;
}

const MAX_CACHED_TOKEN_CALLERS = 10_000;

/**
 * Callers known by a bearer token (their consumer mapping included), until the token expires — unless a consumer was
 * deleted since the mapping began, or, while the deletion channel cannot be heard, for 2 s at most.
 */
export class TokenCallerCache<C> {
  private readonly entries = new BoundedCache<Entry<C>>(MAX_CACHED_TOKEN_CALLERS);

  constructor(private readonly events: Pick<SessionCache, 'consumerEpoch' | 'isLive'>) {}

  /** The epoch to hand back to `set` once the caller is mapped. */
  begin(): number {
    return this.events.consumerEpoch;
  }

  get(key: string, now = Date.now()): C | undefined {
    const entry = this.entries.get(key, now);
    if (entry === undefined) return undefined;
    const confirmed = entry.epoch === this.events.consumerEpoch && (this.events.isLive || now - entry.cachedAt < UNCONFIRMED_CALLER_TTL_MS);
    if (confirmed) return entry.caller;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, caller: C, since: number, expiresAt: number, now = Date.now()): void {
    if (since !== this.events.consumerEpoch) return;
    this.entries.set(key, { caller, epoch: since, cachedAt: now }, expiresAt, now);
  }
}
