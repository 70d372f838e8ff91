import { errors, type JWTVerifyGetKey } from 'jose';
import { KeySetBackoff, withBackoff } from './backoff-key-set';

const header = { alg: 'RS256', kid: 'k1' };
const token = { payload: '', signature: '' };
const key = new Uint8Array([1]);

describe('withBackoff', () => {
  let now: number;
  let calls: number;
  let failWith: Error | undefined;
  const keys: JWTVerifyGetKey = () => {
    calls += 1;
    return failWith ? Promise.reject(failWith) : Promise.resolve(key);
  };

  beforeEach(() => {
    now = 1_000_000;
    calls = 0;
    failWith = undefined;
  });

  it('refuses without fetching while a failed fetch backs off, doubling the delay up to 5 s', async () => {
    const sut = withBackoff(keys, () => now);
    failWith = new TypeError('fetch failed');
    const backingOff = () => Promise.resolve(sut(header, token)).then(() => false, (error: unknown) => error instanceof KeySetBackoff);
    await expect(sut(header, token)).rejects.toBe(failWith);
    const delays: number[] = [];
    for (let failure = 0; failure < 7; failure += 1) {
      let waited = 0;
      // The first call that is not refused is the next real fetch, which fails again.
      while (await backingOff()) {
        now += 50;
        waited += 50;
      }
      delays.push(waited);
    }

    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(calls).toBe(8);
  });

  it('resets the delay after a success', async () => {
    const sut = withBackoff(keys, () => now);
    failWith = new TypeError('fetch failed');
    await expect(sut(header, token)).rejects.toBe(failWith);
    await expect(sut(header, token)).rejects.toBeInstanceOf(KeySetBackoff);
    now += 250;
    failWith = undefined;
    await expect(sut(header, token)).resolves.toBe(key);
    failWith = new TypeError('fetch failed');
    await expect(sut(header, token)).rejects.toBe(failWith);
    now += 250;

    await expect(sut(header, token)).rejects.toBe(failWith);
    expect(calls).toBe(4);
  });

  it('does not back off for failures caused by the token itself, such as an unknown kid', async () => {
    const sut = withBackoff(keys, () => now);
    failWith = new errors.JWKSNoMatchingKey();

    await expect(sut(header, token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    await expect(sut(header, token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(calls).toBe(2);
  });
});
