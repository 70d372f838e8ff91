import { identityWith } from '../../../test/support/caller-identity';
import type { ConsumerMappingService } from '../../consumer/consumer-mapping.service';
import type { SessionCache } from '../../session/session-cache';
import type { SessionWatch } from '../../session/session-watch';
import type { Session } from '../../session/session.types';
import type { SessionCaller, TokenCaller } from '../forwarding/caller';
import { CredentialWatch, type CredentialEndReason } from './credential-watch';

const NOW = 1_800_000_000_000;

function setUp(live = true) {
  const consumerWatchers: ((consumerId: string) => void)[] = [];
  const sessionEvents: ((keyHash: string | undefined) => void)[] = [];
  const events = {
    isLive: live,
    watchConsumerDeletions: (watcher: (consumerId: string) => void) => consumerWatchers.push(watcher),
    watch: (watcher: (keyHash: string | undefined) => void) => sessionEvents.push(watcher),
  };
  const existing = new Set(['c1', 'c2']);
  const consumers = { existing: jest.fn((ids: readonly string[]) => Promise.resolve(new Set(ids.filter((id) => existing.has(id))))) };
  const sessions = { watch: jest.fn((_id: string, _session: Session, _onEnd: (reason: CredentialEndReason) => void) => jest.fn()) };
  const sut = new CredentialWatch(sessions as unknown as SessionWatch, events as unknown as SessionCache, consumers as unknown as ConsumerMappingService);
  sut.onModuleInit();
  const deleted = (consumerId: string) => {
    existing.delete(consumerId);
    for (const watcher of consumerWatchers) watcher(consumerId);
  };
  return { sut, events, consumers, sessions, existing, deleted, cameBack: () => sessionEvents.forEach((watcher) => watcher(undefined)) };
}

const tokenCaller = (consumerId: string | undefined, expiresInMs: number): TokenCaller => ({
  kind: 'token',
  identity: identityWith({ consumer: consumerId === undefined ? null : { id: consumerId, username: null, custom_id: null } }),
  bearer: 'token',
  expiresAt: Date.now() + expiresInMs,
});

/** Settles what is pending: the promise when it has ended, `'open'` otherwise. */
const state = (ended: Promise<CredentialEndReason>) => Promise.race([ended, Promise.resolve('open')]);

describe('CredentialWatch', () => {
  beforeEach(() => jest.useFakeTimers({ now: NOW }));
  afterEach(() => jest.useRealTimers());

  it('ends a token socket at its token\'s expiry, and not before', async () => {
    const { sut } = setUp();
    const { ended } = sut.watch(tokenCaller(undefined, 5_000));
    jest.advanceTimersByTime(4_999);
    await expect(state(ended)).resolves.toBe('open');
    jest.advanceTimersByTime(1);
    await expect(state(ended)).resolves.toBe('token_expired');
  });

  it('waits out an expiry beyond what one timer can hold', async () => {
    const { sut } = setUp();
    const { ended } = sut.watch(tokenCaller(undefined, 40 * 24 * 3_600_000));
    // The once-a-second sweep is not what this is about, and 40 days of it would take seconds to run.
    sut.onApplicationShutdown();
    jest.advanceTimersByTime(30 * 24 * 3_600_000);
    await expect(state(ended)).resolves.toBe('open');
    jest.advanceTimersByTime(10 * 24 * 3_600_000);
    await expect(state(ended)).resolves.toBe('token_expired');
  });

  it('ends the sockets of a deleted consumer, and only theirs', async () => {
    const { sut, deleted } = setUp();
    const [first, second, other] = [sut.watch(tokenCaller('c1', 60_000)), sut.watch(tokenCaller('c1', 60_000)), sut.watch(tokenCaller('c2', 60_000))];
    deleted('c1');
    await expect(state(first.ended)).resolves.toBe('consumer_deleted');
    await expect(state(second.ended)).resolves.toBe('consumer_deleted');
    await expect(state(other.ended)).resolves.toBe('open');
  });

  it('hears nothing more once stopped', async () => {
    const { sut, deleted } = setUp();
    const watch = sut.watch(tokenCaller('c1', 1_000));
    watch.stop();
    deleted('c1');
    jest.advanceTimersByTime(2_000);
    await expect(state(watch.ended)).resolves.toBe('open');
  });

  it('looks the consumers up once a second while deletions cannot be heard, and once when the channel comes back', async () => {
    const { sut, consumers, existing, events, cameBack } = setUp(false);
    const { ended } = sut.watch(tokenCaller('c1', 60_000));
    existing.delete('c1');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(consumers.existing).toHaveBeenCalledWith(['c1']);
    await expect(state(ended)).resolves.toBe('consumer_deleted');

    events.isLive = true;
    const later = sut.watch(tokenCaller('c2', 60_000));
    await jest.advanceTimersByTimeAsync(5_000);
    expect(consumers.existing).toHaveBeenCalledTimes(1);
    existing.delete('c2');
    cameBack();
    await jest.advanceTimersByTimeAsync(0);
    await expect(state(later.ended)).resolves.toBe('consumer_deleted');
  });

  it('leaves a session\'s socket to SessionWatch', () => {
    const { sut, sessions } = setUp();
    const caller: SessionCaller = { kind: 'session', identity: identityWith(), bearer: 'at', session: { sessionId: 'sid', session: {} as Session } };
    sut.watch(caller);
    expect(sessions.watch).toHaveBeenCalledWith('sid', caller.session.session, expect.any(Function));
  });
});
