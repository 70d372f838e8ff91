import { ReachabilityProbe } from './reachability-probe';

describe('ReachabilityProbe', () => {
  let probes: number;
  let answer: boolean | Error;
  const probe = () => {
    probes += 1;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };

  beforeEach(() => {
    probes = 0;
    answer = true;
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('probes once for concurrent callers and reuses an up answer for its up TTL', async () => {
    const sut = new ReachabilityProbe(probe, { up: 2_000, down: 500 });

    await expect(Promise.all([sut.check(), sut.check(), sut.check()])).resolves.toEqual([true, true, true]);
    jest.setSystemTime(1_001_999);
    await expect(sut.check()).resolves.toBe(true);
    expect(probes).toBe(1);
    jest.setSystemTime(1_002_000);
    await expect(sut.check()).resolves.toBe(true);
    expect(probes).toBe(2);
  });

  it('treats a probe that throws as down, and asks again sooner when down', async () => {
    const sut = new ReachabilityProbe(probe, { up: 2_000, down: 500 });
    answer = new Error('refused');

    await expect(sut.check()).resolves.toBe(false);
    jest.setSystemTime(1_000_499);
    await expect(sut.check()).resolves.toBe(false);
    answer = true;
    jest.setSystemTime(1_000_500);
    await expect(sut.check()).resolves.toBe(true);
    expect(probes).toBe(2);
  });

  it('takes a recorded answer without probing', async () => {
    const sut = new ReachabilityProbe(probe, { up: 2_000, down: 500 });
    sut.record(false);

    await expect(sut.check()).resolves.toBe(false);
    expect(probes).toBe(0);
  });
});
