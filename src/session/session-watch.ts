import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { SessionConfig } from '../config/app-config';
import { SESSION_CONFIG } from '../config/config.tokens';
import { hashSessionId } from './token-crypto';
import { SessionCache } from './session-cache';
import { SessionStore } from './session.store';
import type { SessionEndReason } from './session.errors';
import type { Session } from './session.types';

type Listener = (reason: SessionEndReason) => void;

interface Watched {
  sessionId: string;
  listeners: Set<Listener>;
  expiry: NodeJS.Timeout;
  checkedAt: number;
  checking: boolean;
  /** An event arrived while a check was under way, which may have read the session before it ended. */
  again: boolean;
}

const SWEEP_MS = 1_000;
const MAX_TOUCH_EVERY_MS = 60_000;

/**
 * Tells long-lived users of a session (open WebSockets) when it ends, on whichever instance it ended: on every
 * session event from Redis pub/sub the session is read again, and while events do not arrive (Redis Cluster,
 * reconnecting) every watched session is read once a second. Reads slide the idle timeout when due (SessionRecords),
 * so an open socket keeps its session alive; the absolute timeout ends it on time.
 */
@Injectable()
export class SessionWatch implements OnModuleInit, OnApplicationShutdown {
  private readonly watched = new Map<string, Watched>();
  private readonly touchEveryMs: number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: SessionStore,
    private readonly cache: SessionCache,
    @Inject(SESSION_CONFIG) config: SessionConfig,
  ) {
    this.touchEveryMs = Math.min(MAX_TOUCH_EVERY_MS, config.idleTimeoutSeconds * 100);
  }

  onModuleInit(): void {
    this.cache.watch((keyHash) => {
      if (keyHash === undefined) for (const hash of this.watched.keys()) void this.check(hash);
      else if (this.watched.has(keyHash)) void this.check(keyHash);
    });
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    for (const entry of this.watched.values()) clearTimeout(entry.expiry);
    this.watched.clear();
  }

  /** Calls `onEnd` once when the session ends; the returned function stops watching. */
  watch(sessionId: string, session: Session, onEnd: Listener): () => void {
    const keyHash = session.keyHash;
    let entry = this.watched.get(keyHash);
    if (!entry) {
      const expiry = setTimeout(() => this.end(keyHash, 'session_expired'), Math.max(session.absoluteExpiresAt - Date.now(), 0));
      expiry.unref();
      entry = { sessionId, listeners: new Set(), expiry, checkedAt: Date.now(), checking: false, again: false };
      this.watched.set(keyHash, entry);
    }
    entry.listeners.add(onEnd);
    const watched = entry;
    return () => {
      watched.listeners.delete(onEnd);
      if (watched.listeners.size === 0 && this.watched.get(keyHash) === watched) this.forget(keyHash, watched);
    };
  }

  /** This instance ended the session for a reason a later read cannot tell (a refresh the IdP rejected). */
  ended(sessionId: string, reason: SessionEndReason): void {
    this.end(hashSessionId(sessionId), reason);
  }

  private sweep(): void {
    const now = Date.now();
    const live = this.cache.isLive;
    for (const [keyHash, entry] of this.watched) {
      if (!live || now - entry.checkedAt >= this.touchEveryMs) void this.check(keyHash);
    }
  }

  private async check(keyHash: string): Promise<void> {
    const entry = this.watched.get(keyHash);
    if (!entry) return;
    if (entry.checking) {
      entry.again = true;
      return;
    }
    entry.checking = true;
    try {
      do {
        entry.again = false;
        const lookup = await this.store.lookup(entry.sessionId);
        entry.checkedAt = Date.now();
        if (lookup.status === 'ended') this.end(keyHash, lookup.reason);
      } while (entry.again && this.watched.get(keyHash) === entry);
    } catch {
      // Redis unreachable: the socket stays until a read can tell; the next sweep tries again.
    } finally {
      entry.checking = false;
    }
  }

  private end(keyHash: string, reason: SessionEndReason): void {
    const entry = this.watched.get(keyHash);
    if (!entry) return;
    this.forget(keyHash, entry);
    for (const listener of entry.listeners) listener(reason);
  }

  private forget(keyHash: string, entry: Watched): void {
    clearTimeout(entry.expiry);
    this.watched.delete(keyHash);
  }
}
