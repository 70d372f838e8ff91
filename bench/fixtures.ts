import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { SessionKeys } from '../src/session/session.keys';
import { hashSessionId, TokenCrypto } from '../src/session/token-crypto';
import type { VaultContents } from '../src/session/session.types';
import { decodeVaultContents } from '../src/session/vault-contents.codec';

export const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const POSTGRES_ADMIN_URL = process.env['BENCH_POSTGRES_URL'] ?? process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database `bff_bench_<random>`; the BFF applies its migrations at start-up. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `bff_bench_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined) };
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function benchRedisPrefix(): string {
  return `bff_bench:${randomBytes(4).toString('hex')}:`;
}

export async function dropKeysUnder(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let dropped = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    if (keys.length > 0) dropped += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return dropped;
}

export interface VaultFootprint {
  /** `MEMORY USAGE` of the session's hash. */
  sessionKeyBytes: number;
  /** Access + refresh + ID token, as the IdP issued them. */
  rawTokenBytes: number;
  sealedBytes: number;
  hasSid: boolean;
  sub: string;
}

/** A session's tokens as the BFF stored them (the bench holds the encryption key). */
export async function readVault(redis: Redis, prefix: string, sessionId: string, encryptionKey: Buffer): Promise<{ key: string; sealed: Buffer; contents: VaultContents }> {
  const key = new SessionKeys(prefix).session(hashSessionId(sessionId));
  const sealed = await redis.hgetBuffer(key, 'd');
  if (!sealed) throw new Error('the signed-in session is not in Redis');
  const plaintext = new TokenCrypto([encryptionKey]).decrypt(sealed, sessionId);
  const contents = plaintext ? decodeVaultContents(plaintext) : undefined;
  if (!contents) throw new Error('the signed-in session does not decrypt with the bench key');
  return { key, sealed, contents };
}

/** What one real session costs in Redis, against the size of the tokens it holds (decrypted with the bench's key). */
export async function vaultFootprint(redis: Redis, prefix: string, sessionId: string, encryptionKey: Buffer): Promise<VaultFootprint> {
  const { key, sealed, contents } = await readVault(redis, prefix, sessionId, encryptionKey);
  const rawTokenBytes = [contents.accessToken, contents.refreshToken, contents.idToken].reduce((sum, token) => sum + Buffer.byteLength(token ?? ''), 0);
  const sessionKeyBytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  return { sessionKeyBytes, rawTokenBytes, sealedBytes: sealed.length, hasSid: contents.sid !== undefined, sub: contents.sub };
}
