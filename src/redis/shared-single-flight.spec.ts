import { setTimeout as sleep } from 'node:timers/promises';
import type { Lease, RedisLease } from './redis-lease';
import { SharedSingleFlight, type SharedWork } from './shared-single-flight';

/** Leases as Redis keeps them, shared by every "instance" built on it; `down` makes every call fail. */
class FakeLeases {
  readonly held = new Set<string>();
  down = false;

  tryTake(key: string): Promise<Lease | undefined> {
    if (this.down) return Promise.reject(new Error('redis down'));
    if (this.held.has(key)) return Promise.resolve(undefined);
    this.held.add(key);
    return Promise.resolve({ release: () => Promise.resolve(void this.held.delete(key)) });
  }

  isHeld(key: string): Promise<boolean> {
    return this.down ? Promise.reject(new Error('redis down')) : Promise.resolve(this.held.has(key));
  }
}

function instanceOn(leases: FakeLeases): SharedSingleFlight<string> {
  return new SharedSingleFlight<string>(leases as unknown as RedisLease, 5);
}

/** Work whose result is "stored" in `shared`; `produce` counts the IdP calls. */
function workOn(shared: { value?: string }, overrides: Partial<SharedWork<string>> = {}) {
  const produce = jest.fn(async () => {
    await sleep(30);
    shared.value = 'made';
    return 'made';
  });
  const work: SharedWork<string> = {
    leaseKey: 'lease',
    leaseMs: 1_000,
    waitMs: 1_000,
    hold: async () => shared.value ?? produce(),
    read: () => Promise.resolve(shared.value),
    afterWait: () => Promise.reject(new Error('gave up')),
    withoutRedis: 'fail',
    ...overrides,
  };
  return { work, produce };
}

describe('SharedSingleFlight', () => {
  it('does the work once for concurrent callers on two instances sharing the leases', async () => {
    const leases = new FakeLeases();
    const shared: { value?: string } = {};
    const { work, produce } = workOn(shared);
    const [first, second] = [instanceOn(leases), instanceOn(leases)];
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).run('key', work)));
    expect(new Set(results)).toEqual(new Set(['made']));
    expect(produce).toHaveBeenCalledTimes(1);
    expect(leases.held.size).toBe(0);
  });

  it('takes the lease itself when the holder let go without storing anything', async () => {
    const leases = new FakeLeases();
    leases.held.add('lease');
    const { work, produce } = workOn({});
    const pending = instanceOn(leases).run('key', work);
    setTimeout(() => leases.held.delete('lease'), 20);
    await expect(pending).resolves.toBe('made');
    expect(produce).toHaveBeenCalledTimes(1);
  });

  it('answers with afterWait when another instance holds the lease for the whole wait', async () => {
    const leases = new FakeLeases();
    leases.held.add('lease');
    const { work, produce } = workOn({}, { waitMs: 50 });
    await expect(instanceOn(leases).run('key', work)).rejects.toThrow('gave up');
    expect(produce).not.toHaveBeenCalled();
  });

  it('goes on without a lease when Redis fails and the work allows it, and fails when it does not', async () => {
    const leases = new FakeLeases();
    leases.down = true;
    const proceeding = workOn({}, { withoutRedis: 'proceed' });
    await expect(instanceOn(leases).run('key', proceeding.work)).resolves.toBe('made');
    await expect(instanceOn(leases).run('key', workOn({}).work)).rejects.toThrow('redis down');
  });

  it('does not let a caller of a newer generation join work begun on older data', async () => {
    const leases = new FakeLeases();
    const { work, produce } = workOn({}, { hold: async () => produce() });
    const sut = instanceOn(leases);
    const older = sut.run('key', work, 1);
    const newer = sut.run('key', { ...work, leaseKey: 'other-lease' }, 2);
    await Promise.all([older, newer]);
    expect(produce).toHaveBeenCalledTimes(2);
  });
});
