import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConsumerMappingService } from '../../consumer/consumer-mapping.service';
import { SessionCache } from '../../session/session-cache';
import { SessionWatch } from '../../session/session-watch';
import type { SessionEndReason } from '../../session/session.errors';
import type { Caller, TokenCaller } from '../forwarding/caller';

/** Why a caller's credential ended: its session's reason, its token's expiry, or its consumer's deletion. */
export type CredentialEndReason = SessionEndReason | 'token_expired' | 'consumer_deleted';

export interface CredentialEnd {
  /** Settles once, when the credential ends (at once when it already has). */
  ended: Promise<CredentialEndReason>;
  stop(): void;
}

type Listener = () => void;

const SWEEP_MS = 1_000;
// setTimeout takes at most 2^31 - 1 ms; a later expiry is reached in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Tells a long-lived connection (an open WebSocket) when its caller's credential ends, whatever its kind, on whichever
 * instance it ended: a session through SessionWatch; a token at its expiry, or when its consumer is deleted (announced
 * on the session-events channel; while that cannot be heard, the consumers of open token sockets are looked up once a
 * second instead, as SessionWatch reads its sessions).
 */
@Injectable()
export class CredentialWatch implements OnModuleInit, OnApplicationShutdown {
  private readonly byConsumer = new Map<string, Set<Listener>>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly sessions: SessionWatch,
    private readonly events: SessionCache,
    private readonly consumers: ConsumerMappingService,
  ) {}

  onModuleInit(): void {
    this.events.watchConsumerDeletions((consumerId) => this.consumerDeleted(consumerId));
    // Undefined: the channel has just come back, and deletions in between may have gone unheard.
    this.events.watch((keyHash) => {
      if (keyHash === undefined) void this.sweep();
    });
    this.sweeper = setInterval(() => {
      if (!this.events.isLive) void this.sweep();
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.byConsumer.clear();
  }

  watch(caller: Caller): CredentialEnd {
    let stop = (): void => undefined;
    const ended = new Promise<CredentialEndReason>((resolve) => {
      stop = caller.kind === 'session' ? this.sessions.watch(caller.session.sessionId, caller.session.session, resolve) : this.watchToken(caller, resolve);
    });
    return { ended, stop: () => stop() };
  }

  private watchToken(caller: TokenCaller, onEnd: (reason: CredentialEndReason) => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    const consumerId = caller.identity.consumer?.id;
    const stop = (): void => {
      clearTimeout(timer);
      if (consumerId !== undefined) this.forget(consumerId, onDeleted);
    };
    const end = (reason: CredentialEndReason): void => {
      stop();
      onEnd(reason);
    };
    const onDeleted = (): void => end('consumer_deleted');
    const arm = (): void => {
      const remaining = caller.expiresAt - Date.now();
      timer = setTimeout(() => (remaining > MAX_TIMER_MS ? arm() : end('token_expired')), Math.min(Math.max(remaining, 0), MAX_TIMER_MS));
      timer.unref();
    };
    arm();
    if (consumerId !== undefined) {
      const listeners = this.byConsumer.get(consumerId) ?? new Set();
      listeners.add(onDeleted);
      this.byConsumer.set(consumerId, listeners);
    }
    return stop;
  }

  private forget(consumerId: string, listener: Listener): void {
    const listeners = this.byConsumer.get(consumerId);
    listeners?.delete(listener);
    if (listeners?.size === 0) this.byConsumer.delete(consumerId);
  }

  private consumerDeleted(consumerId: string): void {
    for (const listener of [...(this.byConsumer.get(consumerId) ?? [])]) listener();
  }

  /** One query for the consumers of every open token socket; Postgres unreachable: they stay until it can tell. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.byConsumer.size === 0) return;
    this.sweeping = true;
    try {
      const ids = [...this.byConsumer.keys()];
      const existing = await this.consumers.existing(ids);
      for (const id of ids) if (!existing.has(id)) this.consumerDeleted(id);
    } catch {
      // the next sweep tries again
    } finally {
      this.sweeping = false;
    }
  }
}
