import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { readClientKey, type ClientKeyResult } from './client-key';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bff-client-key-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function read(content: string): ClientKeyResult {
  const file = join(dir, `key-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, content);
  return readClientKey(file);
}

function pem(key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'sec1' | 'spki'): string {
  return key.export({ format: 'pem', type } as never).toString();
}

function loaded(result: ClientKeyResult) {
  if (!result.ok) throw new Error(result.problem);
  return result.key;
}

describe('readClientKey', () => {
  it.each([
    ['an RSA key in PKCS#8 PEM', () => pem(rsa.privateKey, 'pkcs8'), 'RSA'],
    ['an RSA key in PKCS#1 PEM', () => pem(rsa.privateKey, 'pkcs1'), 'RSA'],
    ['an EC P-256 key in SEC1 PEM', () => pem(ec.privateKey, 'sec1'), 'EC'],
    ['an EC P-256 key in PKCS#8 PEM', () => pem(ec.privateKey, 'pkcs8'), 'EC'],
    ['an Ed25519 key in PKCS#8 PEM', () => pem(ed.privateKey, 'pkcs8'), 'OKP'],
    ['an EC P-256 private JWK', () => JSON.stringify(ec.privateKey.export({ format: 'jwk' })), 'EC'],
  ])('reads %s, and its kid is the RFC 7638 thumbprint of the public key', async (_name, content, type) => {
    const key = loaded(read(content()));
    expect(key.type).toBe(type);
    const { kid, use, ...publicMembers } = key.publicJwk;
    expect(use).toBe('sig');
    expect(kid).toBe(await calculateJwkThumbprint(publicMembers as JWK, 'sha256'));
  });

  it('serves only public members, whatever the file holds', () => {
    const key = loaded(read(JSON.stringify(rsa.privateKey.export({ format: 'jwk' }))));
    expect(Object.keys(key.publicJwk).sort()).toEqual(['e', 'kid', 'kty', 'n', 'use']);
    expect(key.publicJwk).toMatchObject(rsa.publicKey.export({ format: 'jwk' }));
  });

  it("keeps a JWK's own kid and alg, also from a JWK Set of one key", () => {
    const jwk = { ...ec.privateKey.export({ format: 'jwk' }), kid: 'okta-key-1', alg: 'ES256' };
    const key = loaded(read(JSON.stringify({ keys: [jwk] })));
    expect(key.publicJwk.kid).toBe('okta-key-1');
    expect(key.alg).toBe('ES256');
  });

  it.each([
    ['a file that does not exist', undefined, /^OIDC_CLIENT_PRIVATE_KEY_FILE: cannot be read \(ENOENT\)$/],
    ['text that is no key', 'not a key', /^OIDC_CLIENT_PRIVATE_KEY_FILE: is not a PEM private key/],
    ['JSON that is no JWK', '[1,2]', /^OIDC_CLIENT_PRIVATE_KEY_FILE: must hold one JWK/],
    ['a public PEM key', pem(rsa.publicKey, 'spki'), /^OIDC_CLIENT_PRIVATE_KEY_FILE: holds a public key only/],
    ['a public JWK', JSON.stringify(ec.publicKey.export({ format: 'jwk' })), /^OIDC_CLIENT_PRIVATE_KEY_FILE: holds a public key only/],
    ['an EC P-384 key', pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'pkcs8'), /^OIDC_CLIENT_PRIVATE_KEY_FILE: holds an unsupported key type/],
    ['an RSA key of 1024 bits', pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'pkcs8'), /^OIDC_CLIENT_PRIVATE_KEY_FILE: holds an unsupported key type/],
    ['an Ed448 key', pem(generateKeyPairSync('ed448').privateKey, 'pkcs8'), /^OIDC_CLIENT_PRIVATE_KEY_FILE: holds an unsupported key type/],
    ['a JWK whose alg its key cannot sign with', JSON.stringify({ ...ec.privateKey.export({ format: 'jwk' }), alg: 'RS256' }), /^OIDC_CLIENT_PRIVATE_KEY_FILE: names alg RS256/],
  ])('refuses %s in one line naming the variable, never the content', (_name, content, message) => {
    const result = content === undefined ? readClientKey(join(dir, 'missing.pem')) : read(content);
    expect(result.ok ? '' : result.problem).toMatch(message);
    if (!result.ok && content !== undefined && content.length > 60) expect(result.problem).not.toContain(content.slice(30, 60));
  });
});
