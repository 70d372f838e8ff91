import fc from 'fast-check';
import { DpopKey } from '../dpop/dpop-key';
import type { VaultContents } from './session.types';
import { decodeVaultContents, encodeVaultContents } from './vault-contents.codec';

const jwt = [
  Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })).toString('base64url'),
  Buffer.from(JSON.stringify({ sub: 'user-1', iss: 'https://idp.example', aud: 'api://default', exp: 1_900_000_000, scope: 'openid profile' })).toString('base64url'),
  Buffer.alloc(256, 7).toString('base64url'),
].join('.');

const contents: VaultContents = {
  accessToken: jwt,
  refreshToken: 'mHR1pmEFwVv5dP2oRxmGqZ5yyc0y8xQJ0m2P4kWmYb1',
  idToken: jwt.replace('at+jwt', 'JWT'),
  accessTokenExpiresAt: 1_900_000_000_000,
  scope: 'openid profile email offline_access',
  sub: 'user-1',
  sid: 'sid-1',
  identity: {
    consumer: { id: '6f1c1c1e-4a47-4c2f-9f35-2b8a1f5e4a10', username: 'alice', custom_id: null },
    anonymous: false,
    credential: 'user-1',
    groups: ['admins', 'users'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    audiences: ['api://default'],
    acr: undefined,
    authTime: undefined,
    headerClaims: { email: 'alice@example.com' },
  },
};

/** How sessions stored before the identity had one home kept it: beside the tokens, without `anonymous`. */
function storedBefore(value: VaultContents, withFacts = true): Record<string, unknown> {
  const { identity, ...rest } = value;
  const { consumer, credential, groups, scopes, audiences, acr, authTime, headerClaims } = identity;
  return { ...rest, consumer, credential, groups, acr, authTime, headerClaims, ...(withFacts ? { scopes, audiences } : {}) };
}

describe('vault contents codec', () => {
  it('round-trips a token set and stores JWTs a quarter smaller than their text', () => {
    const encoded = encodeVaultContents(contents);

    expect(decodeVaultContents(encoded)).toEqual(contents);
    expect(encoded.length).toBeLessThan(Buffer.byteLength(JSON.stringify(contents)) * 0.85);
  });

  it('still reads token sets written as JSON before the compact layout', () => {
    expect(decodeVaultContents(Buffer.from(JSON.stringify(contents)))).toEqual(contents);
  });

  it('round-trips any token text exactly, base64url-shaped or not, and absent tokens', () => {
    const tokenText = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom(...'ABCxyz019-_') }),
      fc.tuple(fc.string({ unit: fc.constantFrom(...'ABCxyz019-_') }), fc.string({ unit: fc.constantFrom(...'ABCxyz019-_.') })).map(([a, b]) => `${a}.${b}`),
    );
    fc.assert(
      fc.property(tokenText, fc.option(tokenText, { nil: undefined }), (accessToken, refreshToken) => {
        const value: VaultContents = { ...contents, accessToken, refreshToken, idToken: undefined };
        expect(decodeVaultContents(encodeVaultContents(value))).toEqual(value);
      }),
    );
  });

  it('refuses truncated or padded bytes and unknown token kinds', () => {
    const encoded = encodeVaultContents(contents);

    expect(decodeVaultContents(encoded.subarray(0, encoded.length - 1))).toBeUndefined();
    expect(decodeVaultContents(Buffer.concat([encoded, Buffer.from([0])]))).toBeUndefined();
    const unknownKind = Buffer.from(encoded);
    unknownKind[5 + unknownKind.readUInt32BE(1)] = 9;
    expect(decodeVaultContents(unknownKind)).toBeUndefined();
  });

  it('refuses a compact token set whose fields are not a valid token set', () => {
    const withoutSub = { ...contents, sub: undefined } as unknown as VaultContents;

    expect(decodeVaultContents(encodeVaultContents(withoutSub))).toBeUndefined();
  });

  it('keeps the login\'s acr and auth_time and the anonymous mark, and refuses them in another form', () => {
    const stepped = { ...contents, identity: { ...contents.identity, acr: 'urn:okta:loa:2fa:any', authTime: 1_899_999_000, anonymous: true } };
    expect(decodeVaultContents(encodeVaultContents(stepped))).toEqual(stepped);
    const withIdentity = (changes: Record<string, unknown>): VaultContents => ({ ...contents, identity: { ...contents.identity, ...changes } });
    for (const wrong of [{ authTime: '1899999000' }, { acr: ['urn:a'] }, { anonymous: 'yes' }, { groups: 'admins' }, { consumer: { id: 7 } }, { headerClaims: [] }]) {
      expect([wrong, decodeVaultContents(encodeVaultContents(withIdentity(wrong)))]).toEqual([wrong, undefined]);
    }
  });

  it('reads every field of the identity back, the absent ones as undefined', () => {
    const decoded = decodeVaultContents(encodeVaultContents(contents));
    expect(Object.keys(decoded?.identity ?? {}).sort()).toEqual(Object.keys(contents.identity).sort());
  });

  it('still reads sessions stored before the identity had one home, as not anonymous', () => {
    const stepped = { ...contents, identity: { ...contents.identity, acr: 'urn:mfa', authTime: 1_899_999_000 } };
    expect(decodeVaultContents(Buffer.from(JSON.stringify(storedBefore(stepped))))).toEqual(stepped);
    expect(decodeVaultContents(Buffer.from(JSON.stringify(storedBefore(contents))))).toEqual(contents);
    const compact = encodeVaultContents(storedBefore(contents) as unknown as VaultContents);
    expect(decodeVaultContents(compact)).toEqual(contents);
  });

  it('works out the scopes and audiences of sessions stored before they were kept, from the access token', () => {
    const decoded = decodeVaultContents(Buffer.from(JSON.stringify(storedBefore(contents, false))));
    expect(decoded?.identity).toMatchObject({ scopes: ['openid', 'profile', 'email', 'offline_access'], audiences: ['api://default'] });
    const withoutScope = decodeVaultContents(Buffer.from(JSON.stringify({ ...storedBefore(contents, false), scope: undefined })));
    expect(withoutScope?.identity.scopes).toEqual(['openid', 'profile']);
  });

  it('keeps exchanged tokens and userinfo claims, drops exchanged entries of another form, and reads sessions without either', () => {
    const exchanged = { k1: { accessToken: jwt, expiresAt: 1_900_000_000_000 } };
    const userinfo = { sub: 'user-1', groups: ['admins'], email: 'alice@example.com' };
    const extended = { ...contents, exchanged, userinfo };
    expect(decodeVaultContents(encodeVaultContents(extended))).toEqual(extended);
    const malformed = { ...contents, exchanged: { ...exchanged, k2: { accessToken: 7, expiresAt: 1 }, k3: 'x' } } as unknown as VaultContents;
    expect(decodeVaultContents(encodeVaultContents(malformed))?.exchanged).toEqual(exchanged);
    expect(decodeVaultContents(encodeVaultContents(contents))).not.toHaveProperty('exchanged');
    expect(decodeVaultContents(encodeVaultContents({ ...contents, userinfo: ['x'] } as unknown as VaultContents))).not.toHaveProperty('userinfo');
  });

  it('seals the DPoP key itself (not its printed thumbprint) and reads it back; sessions without one stay without; a broken one is no session', async () => {
    const dpopKey = await DpopKey.generate();
    const plaintext = encodeVaultContents({ ...contents, dpopKey });
    expect(plaintext.toString('utf8')).toContain(dpopKey.sealable().d);
    const read = decodeVaultContents(plaintext);
    expect(read?.dpopKey?.thumbprint).toBe(dpopKey.thumbprint);
    expect(read?.dpopKey?.privateKey.equals(dpopKey.privateKey)).toBe(true);
    expect(decodeVaultContents(encodeVaultContents(contents))).not.toHaveProperty('dpopKey');
    // Only what the vault sealed opens (AES-GCM); this is the parser's own check of what it was given.
    const broken = plaintext.toString('utf8').replace(dpopKey.sealable().d, `${'x'.repeat(42)}!`);
    expect(decodeVaultContents(Buffer.from(broken, 'utf8'))).toBeUndefined();
  });
});
