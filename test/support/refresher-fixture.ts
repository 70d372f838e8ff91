import type { SessionConfig } from '../../src/config/app-config';
import { MetricsService } from '../../src/metrics/metrics.service';
import type { OidcClient } from '../../src/oidc/oidc.client';
import type { TokenResult } from '../../src/oidc/token-result';
import type { Lease, RedisLease } from '../../src/redis/redis-lease';
import { updateContentsFenced, type ContentsChange } from '../../src/session/fenced-update';
import type { SessionStore } from '../../src/session/session.store';
import type { Session, SessionLookup, VaultContents } from '../../src/session/session.types';
import { TokenRefresher } from '../../src/session/token-refresher';
import { identityWith } from './caller-identity';

const config = { refreshSkewSeconds: 60 } as SessionConfig;

export function session(version: number, expiresInMs: number, refreshToken = `rt-${version}`): Session {
  const contents: VaultContents = {
    accessToken: `at-${version}`,
    refreshToken,
    accessTokenExpiresAt: Date.now() + expiresInMs,
    sub: 'user-1',
    identity: identityWith(),
  };
  return { keyHash: 'hash', contents, version, absoluteExpiresAt: Date.now() + 3_600_000, idleExpiresAt: Date.now() + 1_800_000 };
}

/** An in-memory stand-in for the Redis vault and lease: one session, a version fence, and a refresh lease. */
export class FakeStore {
  current: Session | undefined;
  locked = false;
  destroyed = false;

  constructor(initial: Session) {
    this.current = initial;
  }

  lookup(): Promise<SessionLookup> {
    return Promise.resolve(this.current ? { status: 'active', session: this.current } : { status: 'ended', reason: 'session_expired' });
  }

  refreshLeaseKey(): string {
    return 'lease';
  }

  tryTake(): Promise<Lease | undefined> {
    if (this.locked) return Promise.resolve(undefined);
    this.locked = true;
    return Promise.resolve({
      release: () => {
        this.locked = false;
        return Promise.resolve();
      },
    });
  }

  isHeld(): Promise<boolean> {
    return Promise.resolve(this.locked);
  }

  replaceContents(_id: string, seen: Session, contents: VaultContents): Promise<Session | undefined> {
    if (!this.current || this.current.version !== seen.version) return Promise.resolve(undefined);
    this.current = { ...this.current, contents, version: seen.version + 1 };
    return Promise.resolve(this.current);
  }

  updateContents(id: string, seen: Session, change: ContentsChange) {
    return updateContentsFenced(this, id, seen, change);
  }

  destroy(): Promise<boolean> {
    this.current = undefined;
    this.destroyed = true;
    return Promise.resolve(true);
  }
}

export function refresherWith(store: FakeStore, refresh: (token: string) => Promise<TokenResult>) {
  const oidc = { refresh: jest.fn(refresh), issuer: 'https://idp.test' };
  const sut = new TokenRefresher(store as unknown as SessionStore, store as unknown as RedisLease, oidc as unknown as OidcClient, new MetricsService(), config);
  return { sut, oidc };
}

/** Another instance holds the lease, then stores what `write` writes and lets go, 50 ms later. */
export function heldElsewhereThen(store: FakeStore, write: () => void): void {
  store.locked = true;
  setTimeout(() => {
    write();
    store.locked = false;
  }, 50);
}
