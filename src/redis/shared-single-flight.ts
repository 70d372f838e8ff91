import { setTimeout as sleep } from 'node:timers/promises';
import { InFlight } from '../common/in-flight';
import type { Lease, RedisLease } from './redis-lease';

/** One piece of work that the whole fleet should do once: a refresh, a client-credentials grant, a token exchange. */
export interface SharedWork<V> {
  /** The lease, beside the data it guards (a session's keys share its Cluster slot). */
  leaseKey: string;
  /** Longer than the IdP call, so a live holder never loses its lease mid-call. */
  leaseMs: number;
  /** How long to wait for another instance's holder before `afterWait`. */
  waitMs: number;
  /** Holding the lease: the result a holder just before us stored, or else the work itself, stored where `read` finds it. */
  hold(): Promise<V>;
  /** Once another holder let go: what it stored, or `undefined` to try for the lease again (it failed, or stored nothing). */
  read(): Promise<V | undefined>;
  /** Another instance held the lease for the whole wait: give up (a refresh: 503) or do the work here after all (a cache). */
  afterWait(): Promise<V>;
  /** Redis failed taking the lease: rethrow (the data lives there anyway), or go on without one (it only saves IdP calls). */
  withoutRedis: 'fail' | 'proceed';
  /** Wraps the whole flight, once however many callers join it (a tracing span). */
  around?: (flight: () => Promise<V>) => Promise<V>;
  /** Wraps each wait for another instance (a tracing span). */
  waiting?: (wait: () => Promise<V | undefined>) => Promise<V | undefined>;
}

const POLL_MS = 20;
const WITHOUT_LEASE: Lease = { release: () => Promise.resolve() };

/**
 * Once across the fleet: concurrent callers in this process share one promise (InFlight), and across instances a
 * Redis lease picks one holder while the others wait for what it stores. A `generation` (a session's version, say)
 * keeps a late caller from joining work that began on older data.
 */
export class SharedSingleFlight<V> {
  private readonly inFlight = new InFlight<V>();

  constructor(
    private readonly lease: RedisLease,
    private readonly pollMs = POLL_MS,
  ) {}

  run(key: string, work: SharedWork<V>, generation?: unknown): Promise<V> {
    const flight = () => this.once(work);
    const { around } = work;
    return this.inFlight.run(key, around ? () => around(flight) : flight, generation);
  }

  private async once(work: SharedWork<V>): Promise<V> {
    const deadline = Date.now() + work.waitMs;
    while (Date.now() < deadline) {
      const lease = await this.take(work);
      if (lease) {
        try {
          return await work.hold();
        } finally {
          await lease.release();
        }
      }
      const wait = () => this.waitForHolder(work, deadline);
      const stored = await (work.waiting ? work.waiting(wait) : wait());
      if (stored !== undefined) return stored;
    }
    return work.afterWait();
  }

  /** The holder's result once it lets go; `undefined` when it stored none, or the deadline passed while it held on. */
  private async waitForHolder(work: SharedWork<V>, deadline: number): Promise<V | undefined> {
    while (await this.isHeld(work)) {
      if (Date.now() >= deadline) return undefined;
      await sleep(this.pollMs);
    }
    return work.read();
  }

  private async take(work: SharedWork<V>): Promise<Lease | undefined> {
    try {
      return await this.lease.tryTake(work.leaseKey, work.leaseMs);
    } catch (error: unknown) {
      if (work.withoutRedis === 'fail') throw error;
      return WITHOUT_LEASE;
    }
  }

  private async isHeld(work: SharedWork<V>): Promise<boolean> {
    try {
      return await this.lease.isHeld(work.leaseKey);
    } catch (error: unknown) {
      if (work.withoutRedis === 'fail') throw error;
      return false;
    }
  }
}
