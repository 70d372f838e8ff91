import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import { loadAppConfig } from '../src/config/app-config';
import { MetricsService } from '../src/metrics/metrics.service';
import { RedisConnection } from '../src/redis/redis.connection';
import { SessionCache } from '../src/session/session-cache';
import { SessionKeys } from '../src/session/session.keys';
import { SessionStore } from '../src/session/session.store';
import type { VaultContents } from '../src/session/session.types';
import { hashSessionId, TokenCrypto } from '../src/session/token-crypto';
import { decodeVaultContents } from '../src/session/vault-contents.codec';

/**
 * The many-users scenario's sessions, written by the BFF's own SessionStore — the code a login ends in — from the
 * vault contents of a real login, one user each (a sub and consumer claim of the same length). 20,000 real logins
 * would take minutes; `checkEquivalence` shows the entries are the same as a login's, ids and times aside.
 */
export interface SeededUsers {
  sessionIds: string[];
  seconds: number;
  /** Growth of Redis `used_memory` per session written (the session hash and its index entries). */
  usedMemoryPerSession: number;
}

type Env = Record<string, string>;

export async function seedUsers(env: Env, template: VaultContents, count: number, userAgent: string | undefined, measure: Redis): Promise<SeededUsers> {
  const { store, close } = await vaultOf(env);
  const started = Date.now();
  const before = await usedMemory(measure);
  const sessionIds: string[] = new Array<string>(count);
  let next = 0;
  try {
    // 64 logins' worth of writes in flight at a time.
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let index = next++; index < count; index = next++) {
          sessionIds[index] = (await store.create(userContents(template, index), userAgent)).sessionId;
        }
      }),
    );
  } finally {
    await close();
  }
  return { sessionIds, seconds: (Date.now() - started) / 1000, usedMemoryPerSession: ((await usedMemory(measure)) - before) / count };
}

/** The file the load generator reads the session ids from, one a line. */
export function writeSessionIds(file: string, sessionIds: readonly string[]): void {
  writeFileSync(file, `${sessionIds.join('\n')}\n`, { mode: 0o600 });
}

/** User `index`'s contents: the template's, with a sub (and consumer claim) of the template's length. */
export function userContents(template: VaultContents, index: number): VaultContents {
  const id = (original: string) => `u${index.toString(36)}`.padEnd(Math.max(original.length, 8), '0').slice(-original.length);
  const sub = id(template.sub);
  const { credential } = template.identity;
  return { ...template, sub, identity: { ...template.identity, credential: credential === template.sub ? sub : credential } };
}

export interface Equivalence {
  equal: boolean;
  /** What differed, when anything did (field names, no values). */
  differences: string[];
  /** The login's contents and user agent, for `seedUsers`. */
  template: { contents: VaultContents; userAgent: string | undefined };
}

/**
 * A session written by `seedUsers`'s path next to the real login's it copies: the same hash fields, the same
 * clear metadata fields, a TTL within a second, the same index memberships, sealed contents of the same length that
 * decrypt to byte-identical plaintext. Only the ids (session id, key hash, handle) and the times differ.
 */
export async function checkEquivalence(env: Env, redis: Redis, loginSessionId: string): Promise<Equivalence> {
  const key = Buffer.from(env['TOKEN_ENCRYPTION_KEYS'] ?? '', 'base64');
  const crypto = new TokenCrypto([key]);
  const keys = new SessionKeys(env['REDIS_PREFIX'] ?? '');
  const read = async (sessionId: string) => {
    const keyHash = hashSessionId(sessionId);
    const hash = await redis.hgetallBuffer(keys.session(keyHash));
    const sealed = hash['d'] ?? Buffer.alloc(0);
    const plaintext = crypto.decrypt(sealed, sessionId) ?? Buffer.alloc(0);
    const meta = JSON.parse(hash['m']?.toString('utf8') ?? '{}') as Record<string, unknown>;
    const contents = decodeVaultContents(plaintext);
    const inSubIndex = contents ? (await redis.zscore(keys.bySub(contents.sub), keyHash)) !== null : false;
    const inAllIndex = (await redis.zscore(keys.all(), keyHash)) !== null;
    return { fields: Object.keys(hash).sort(), version: hash['v']?.toString(), sealedBytes: sealed.length, plaintext, meta, ttl: await redis.pttl(keys.session(keyHash)), inSubIndex, inAllIndex, contents };
  };
  const login = await read(loginSessionId);
  if (!login.contents) throw new Error('the signed-in session does not decrypt with the bench key');
  const userAgent = typeof login.meta['userAgent'] === 'string' ? login.meta['userAgent'] : undefined;
  const { store, close } = await vaultOf(env);
  let copy: Awaited<ReturnType<typeof read>>;
  try {
    copy = await read((await store.create(login.contents, userAgent)).sessionId);
  } finally {
    await close();
  }
  const differences: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => {
    if (!isDeepStrictEqual(a, b)) differences.push(what);
  };
  same('hash fields', login.fields, copy.fields);
  same('version', login.version, copy.version);
  same('sealed length', login.sealedBytes, copy.sealedBytes);
  same('plaintext bytes', login.plaintext, copy.plaintext);
  same('metadata fields', Object.keys(login.meta).sort(), Object.keys(copy.meta).sort());
  for (const field of ['sub', 'consumerId', 'userAgent']) same(`metadata ${field}`, login.meta[field], copy.meta[field]);
  same('index entries', [login.inSubIndex, login.inAllIndex], [copy.inSubIndex, copy.inAllIndex]);
  // The login's TTL has run down since it was written; both were set to the idle timeout.
  if (Math.abs(login.ttl - copy.ttl) > 60_000 || copy.ttl <= 0) differences.push('TTL');
  return { equal: differences.length === 0, differences, template: { contents: login.contents, userAgent } };
}

/** A SessionStore of its own, as the app builds it, once its Redis connection is ready (it queues no commands). */
export async function vaultOf(env: Env): Promise<{ store: SessionStore; close: () => Promise<void> }> {
  const result = loadAppConfig(env);
  if (!result.ok) throw new Error(`bench BFF environment: ${result.problems.join('; ')}`);
  const { config } = result;
  const redis = new RedisConnection(config.redis, new MetricsService());
  const store = new SessionStore(redis, config.session, new SessionCache(redis, config.session));
  store.onModuleInit();
  if (redis.client.status !== 'ready') await once(redis.client, 'ready');
  return { store, close: () => redis.onApplicationShutdown() };
}

async function usedMemory(redis: Redis): Promise<number> {
  const match = /^used_memory:(\d+)/m.exec(await redis.info('memory'));
  return match ? Number(match[1]) : 0;
}
