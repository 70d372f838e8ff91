import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ClientKeyFile {
  path: string;
  /** The public half as a JWK, for an IdP client registered with inline `jwks`. */
  publicJwk: Record<string, unknown>;
}

export type ClientKeyKind = 'rsa-pkcs1' | 'ec-jwk' | 'ed25519-pkcs8';

/** Private key files in a temporary folder, as an operator would mount them for OIDC_CLIENT_PRIVATE_KEY_FILE. */
export class ClientKeyFiles {
  private readonly dir = mkdtempSync(join(tmpdir(), 'bff-client-keys-'));
  private count = 0;

  create(kind: ClientKeyKind): ClientKeyFile {
    const { privateKey, publicKey } = generate(kind);
    this.count += 1;
    const path = join(this.dir, `${kind}-${this.count}.${kind === 'ec-jwk' ? 'json' : 'pem'}`);
    writeFileSync(path, contentOf(kind, privateKey), { mode: 0o600 });
    // Through JSON: node:crypto's objects come from outside jest's realm, and oidc-provider wants plain objects.
    return { path, publicJwk: JSON.parse(JSON.stringify(publicKey.export({ format: 'jwk' }))) as Record<string, unknown> };
  }

  /** Any file with this content, for the files a start-up must refuse. */
  write(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function generate(kind: ClientKeyKind): { privateKey: KeyObject; publicKey: KeyObject } {
  if (kind === 'rsa-pkcs1') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (kind === 'ec-jwk') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return generateKeyPairSync('ed25519');
}

function contentOf(kind: ClientKeyKind, key: KeyObject): string {
  if (kind === 'ec-jwk') return JSON.stringify(key.export({ format: 'jwk' }));
  return key.export({ format: 'pem', type: kind === 'rsa-pkcs1' ? 'pkcs1' : 'pkcs8' }).toString();
}
