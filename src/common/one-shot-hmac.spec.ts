import { createHmac, randomBytes } from 'node:crypto';
import { OneShotHmac } from './one-shot-hmac';

describe('OneShotHmac', () => {
  it.each([1, 16, 32, 64])('gives what createHmac gives under a %i-byte key, for every message length', (keyBytes) => {
    const key = randomBytes(keyBytes);
    const hmac = new OneShotHmac(key);
    for (const message of ['', 'a', 'x'.repeat(43), 'é✓'.repeat(40), 'y'.repeat(300)]) {
      const suffix = Buffer.from([1]);
      expect(hmac.digest(message, suffix)).toEqual(createHmac('sha256', key).update(message, 'utf8').update(suffix).digest());
    }
  });

  it('refuses a key longer than one block (HMAC would hash it first)', () => {
    expect(() => new OneShotHmac(randomBytes(65))).toThrow('at most 64 bytes');
  });
});
