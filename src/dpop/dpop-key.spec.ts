import { inspect } from 'node:util';
import { calculateJwkThumbprint } from 'jose';
import { DpopKey } from './dpop-key';

describe('DpopKey', () => {
  it('comes back from its sealed form as the same key, with the RFC 7638 thumbprint', async () => {
    const sut = await DpopKey.generate();
    const again = DpopKey.fromSealed(JSON.parse(JSON.stringify(sut.sealable())));
    expect(again?.publicJwk).toEqual(sut.publicJwk);
    expect(sut.thumbprint).toBe(await calculateJwkThumbprint({ ...sut.publicJwk }));
    expect(again?.thumbprint).toBe(sut.thumbprint);
  });

  it('refuses a sealed form that is not a P-256 private key, and takes an absent one as none', async () => {
    const { d, ...publicOnly } = (await DpopKey.generate()).sealable();
    expect(d).toMatch(/^[\w-]{43}$/);
    expect(DpopKey.fromSealed(undefined)).toBeUndefined();
    for (const bad of [null, 'key', publicOnly, { ...publicOnly, d: 'not a scalar!' }, { ...publicOnly, crv: 'P-384', d }, { ...publicOnly, d: 'AAAA' }]) {
      expect(DpopKey.fromSealed(bad)).toBeNull();
    }
  });

  it('never shows its private key when logged or serialised', async () => {
    const sut = await DpopKey.generate();
    const { d } = sut.sealable();
    for (const shown of [JSON.stringify({ sut }), inspect(sut), inspect({ nested: { sut } }), String(JSON.stringify(sut))]) {
      expect(shown).not.toContain(d);
      expect(shown).toContain(sut.thumbprint);
    }
  });

  it('gives openid-client a WebCrypto key pair for the same key, made once', async () => {
    const sut = await DpopKey.generate();
    const pair = await sut.cryptoKeyPair();
    expect(await sut.cryptoKeyPair()).toBe(pair);
    expect([pair.privateKey.extractable, pair.publicKey.extractable]).toEqual([false, true]);
    expect(await calculateJwkThumbprint(await crypto.subtle.exportKey('jwk', pair.publicKey) as Parameters<typeof calculateJwkThumbprint>[0])).toBe(sut.thumbprint);
  });
});
