import { TokenCallerCache } from './token-caller-cache';

describe('TokenCallerCache', () => {
  const events = { consumerEpoch: 0, isLive: true };
  const NOW = 1_000_000;

  beforeEach(() => {
    events.consumerEpoch = 0;
    events.isLive = true;
  });

  it('keeps a caller until its token expires while no consumer is deleted', () => {
    const sut = new TokenCallerCache<string>(events);
    sut.set('t', 'caller', sut.begin(), NOW + 60_000, NOW);
    expect(sut.get('t', NOW + 59_000)).toBe('caller');
    expect(sut.get('t', NOW + 60_000)).toBeUndefined();
  });

  it('forgets every caller once a consumer is deleted', () => {
    const sut = new TokenCallerCache<string>(events);
    sut.set('t', 'caller', sut.begin(), NOW + 60_000, NOW);
    events.consumerEpoch += 1;
    expect(sut.get('t', NOW + 1)).toBeUndefined();
  });

  it('does not keep a mapping that raced a deletion', () => {
    const sut = new TokenCallerCache<string>(events);
    const since = sut.begin();
    events.consumerEpoch += 1;
    sut.set('t', 'caller', since, NOW + 60_000, NOW);
    expect(sut.get('t', NOW)).toBeUndefined();
  });

  it('trusts a caller for 2 s at most while deletions cannot be heard', () => {
    events.isLive = false;
    const sut = new TokenCallerCache<string>(events);
    sut.set('t', 'caller', sut.begin(), NOW + 60_000, NOW);
    expect(sut.get('t', NOW + 1_999)).toBe('caller');
    expect(sut.get('t', NOW + 2_000)).toBeUndefined();
  });
});
