import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { sha256Bytes } from '../common/sha256';
import { hashSessionId, newSessionId, TokenCrypto } from './token-crypto';

const TOKEN_SET = JSON.stringify({ accessToken: 'at-123', refreshToken: 'rt-456' });

describe('TokenCrypto', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const sessionId = newSessionId();

  it('round-trips a string and a buffer under the same context', () => {
    const sut = new TokenCrypto([k1]);
    const binary = randomBytes(100);

    expect(sut.decrypt(sut.encrypt(TOKEN_SET, sessionId), sessionId)?.toString('utf8')).toBe(TOKEN_SET);
    expect(sut.decrypt(sut.encrypt(binary, sessionId), sessionId)).toEqual(binary);
  });

  it('round-trips an empty plaintext', () => {
    const sut = new TokenCrypto([k1]);

    expect(sut.decrypt(sut.encrypt('', sessionId), sessionId)).toEqual(Buffer.alloc(0));
  });

  it('never leaves the plaintext or the context readable in the sealed bytes', () => {
    const sut = new TokenCrypto([k1]);

    const sealed = sut.encrypt(TOKEN_SET, sessionId);

    expect(sealed.includes('at-123')).toBe(false);
    expect(sealed.includes(sessionId)).toBe(false);
  });

  it('uses a fresh IV for every encryption', () => {
    const sut = new TokenCrypto([k1]);

    expect(sut.encrypt(TOKEN_SET, sessionId).equals(sut.encrypt(TOKEN_SET, sessionId))).toBe(false);
  });

  it('refuses to open a token set under another context', () => {
    const sut = new TokenCrypto([k1]);

    expect(sut.decrypt(sut.encrypt(TOKEN_SET, sessionId), newSessionId())).toBeUndefined();
  });

  it('refuses a token set with any single byte changed', () => {
    const sut = new TokenCrypto([k1]);
    const sealed = sut.encrypt(TOKEN_SET, sessionId);

    for (let index = 0; index < sealed.length; index += 1) {
      const tampered = Buffer.from(sealed);
      tampered[index] ^= 0x01;
      expect(sut.decrypt(tampered, sessionId)).toBeUndefined();
    }
  });

  it('refuses truncated and foreign input', () => {
    const sut = new TokenCrypto([k1]);
    const sealed = sut.encrypt(TOKEN_SET, sessionId);

    expect(sut.decrypt(sealed.subarray(0, sealed.length - 1), sessionId)).toBeUndefined();
    expect(sut.decrypt(Buffer.alloc(0), sessionId)).toBeUndefined();
    expect(sut.decrypt(Buffer.from(TOKEN_SET), sessionId)).toBeUndefined();
  });

  it('refuses a token set whose additional data does not match', () => {
    const sut = new TokenCrypto([k1]);
    const sealed = sut.encrypt(TOKEN_SET, sessionId, 'version:1');

    expect(sut.decrypt(sealed, sessionId, 'version:1')?.toString('utf8')).toBe(TOKEN_SET);
    expect(sut.decrypt(sealed, sessionId, 'version:2')).toBeUndefined();
    expect(sut.decrypt(sealed, sessionId)).toBeUndefined();
  });

  it('opens token sets sealed with an older key after a rotation and seals new ones with the new key', () => {
    const before = new TokenCrypto([k1]);
    const sut = new TokenCrypto([k2, k1]);
    const sealedBefore = before.encrypt(TOKEN_SET, sessionId);

    const sealedAfter = sut.encrypt(TOKEN_SET, sessionId);

    expect(sut.decrypt(sealedBefore, sessionId)?.toString('utf8')).toBe(TOKEN_SET);
    expect(before.decrypt(sealedAfter, sessionId)).toBeUndefined();
    expect(new TokenCrypto([k2]).decrypt(sealedAfter, sessionId)?.toString('utf8')).toBe(TOKEN_SET);
  });

  it('cannot open token sets sealed with a key removed from the list', () => {
    const sealed = new TokenCrypto([k1]).encrypt(TOKEN_SET, sessionId);
    const sut = new TokenCrypto([k2]);

    expect(sut.decrypt(sealed, sessionId)).toBeUndefined();
  });

  it('opens token sets sealed under the key hkdfSync derives (RFC 5869), as sessions stored before did', () => {
    const header = Buffer.concat([Buffer.from([1]), sha256Bytes(Buffer.concat([Buffer.from('bff-token-vault key id\0'), k1])).subarray(0, 4)]);
    const derived = Buffer.from(hkdfSync('sha256', k1, 'bff-token-vault/v1', sessionId, 32));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', derived, iv, { authTagLength: 16 });
    cipher.setAAD(header);
    const sealed = Buffer.concat([header, iv, cipher.update(TOKEN_SET, 'utf8'), cipher.final(), cipher.getAuthTag()]);

    expect(new TokenCrypto([k1]).decrypt(sealed, sessionId)?.toString('utf8')).toBe(TOKEN_SET);
  });

  it('rejects keys that are not 32 bytes and an empty key list', () => {
    expect(() => new TokenCrypto([randomBytes(16)])).toThrow(/32 bytes/);
    expect(() => new TokenCrypto([])).toThrow(/at least one key/);
  });
});

describe('newSessionId', () => {
  it('returns 256 random bits as cookie-safe base64url', () => {
    const sut = newSessionId();

    expect(sut).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(sut, 'base64url')).toHaveLength(32);
  });

  it('never repeats an id', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newSessionId()));

    expect(ids.size).toBe(10_000);
  });
});

describe('hashSessionId', () => {
  it('is a stable SHA-256 digest that does not contain the id', () => {
    const sessionId = newSessionId();

    const sut = hashSessionId(sessionId);

    expect(sut).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sut).not.toBe(sessionId);
    expect(sut).not.toContain(sessionId);
    expect(hashSessionId(sessionId)).toBe(sut);
    expect(hashSessionId(newSessionId())).not.toBe(sut);
  });
});
