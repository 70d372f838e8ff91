import { BoundedCache } from './bounded-cache';

describe('BoundedCache', () => {
  const now = 1_000_000;

  it('returns a value until it expires', () => {
    const sut = new BoundedCache<string>(10);
    sut.set('a', 'value', now + 100, now);

    expect(sut.get('a', now + 99)).toBe('value');
    expect(sut.get('a', now + 100)).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('does not store a value that has already expired', () => {
    const sut = new BoundedCache<string>(10);

    sut.set('a', 'value', now, now);

    expect(sut.size).toBe(0);
  });

  it('evicts the least recently used entry when full', () => {
    const sut = new BoundedCache<string>(2);
    sut.set('a', 'A', now + 100, now);
    sut.set('b', 'B', now + 100, now);
    sut.get('a', now);

    sut.set('c', 'C', now + 100, now);

    expect(sut.get('a', now)).toBe('A');
    expect(sut.get('b', now)).toBeUndefined();
    expect(sut.get('c', now)).toBe('C');
  });

  it('replaces a value and its expiry', () => {
    const sut = new BoundedCache<string>(2);
    sut.set('a', 'old', now + 100, now);

    sut.set('a', 'new', now + 10, now);

    expect(sut.get('a', now + 5)).toBe('new');
    expect(sut.get('a', now + 10)).toBeUndefined();
  });

  it('forgets a deleted entry', () => {
    const sut = new BoundedCache<string>(2);
    sut.set('a', 'A', now + 100, now);

    sut.delete('a');

    expect(sut.get('a', now)).toBeUndefined();
  });
});
