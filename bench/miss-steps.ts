import { createDecipheriv, createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sessionCaller } from '../src/proxy/caller/session-caller';
import type { Route } from '../src/proxy/forwarding/route';
import { TOUCH_SESSION } from '../src/session/session-scripts';
import { SessionKeys } from '../src/session/session.keys';
import { hashSessionId, TokenCrypto } from '../src/session/token-crypto';
import { decodeVaultContents } from '../src/session/vault-contents.codec';
import { median } from './measure';

/**
 * What one session-cache miss costs, step by step, in the bench process's own CPU time (not wall time, which the
 * other processes on the machine blur): each step run over the many-users sessions, five times, median µs per call.
 */
export interface MissStep {
  step: string;
  micros: number;
}

const REPEATS = 5;

export async function missSteps(redis: Redis, prefix: string, encryptionKey: Buffer, sessionIds: readonly string[]): Promise<MissStep[]> {
  const keys = new SessionKeys(prefix);
  const crypto = new TokenCrypto([encryptionKey]);
  const ids = sessionIds.slice(0, 5_000);
  const hashes = ids.map(hashSessionId);
  const sealed = await Promise.all(hashes.map((keyHash) => redis.hgetBuffer(keys.session(keyHash), 'd')));
  const plaintexts = ids.map((id, index) => crypto.decrypt(sealed[index] ?? Buffer.alloc(0), id) ?? Buffer.alloc(0));
  const sessions = plaintexts.map((plaintext, index) => ({
    sessionId: ids[index] ?? '',
    session: { keyHash: hashes[index] ?? '', contents: decodeVaultContents(plaintext)!, version: 1, absoluteExpiresAt: 0, idleExpiresAt: 0 },
  }));
  const route: Route = { path: '/api', origin: 'http://upstream', basePath: '', stripPath: true, auth: 'session', token: 'access', timeoutMs: 30_000, websocket: true, maxConnections: 128, dpop: 'off' };
  const prk = createSecretKey(createHmac('sha256', 'bff-token-vault/v1').update(encryptionKey).digest());
  const keyObjects = ids.map((id) => createSecretKey(createHmac('sha256', prk).update(id).update(Buffer.from([1])).digest()));

  const each = (work: (index: number) => unknown) => () => ids.forEach((_, index) => work(index));
  const sha = createHash('sha1').update(TOUCH_SESSION).digest('hex');
  await redis.script('LOAD', TOUCH_SESSION);
  const touch = (index: number) => redis.callBuffer('EVALSHA', sha, 2, keys.session(hashes[index] ?? ''), keys.tombstone(hashes[index] ?? ''), Date.now(), 1_800_000);
  const steps: [string, () => unknown][] = [
    ['hash the session id (SHA-256)', each((index) => hashSessionId(ids[index] ?? ''))],
    ['Redis script round trip (32 in flight), client CPU', () => inFlight(ids.length, 32, touch)],
    ['derive the session key (one HMAC) + KeyObject', each((index) => createSecretKey(createHmac('sha256', prk).update(ids[index] ?? '').update(Buffer.from([1])).digest()))],
    ['AES-256-GCM open', each((index) => open(sealed[index] ?? Buffer.alloc(0), keyObjects[index]))],
    ['decode the vault contents', each((index) => decodeVaultContents(plaintexts[index] ?? Buffer.alloc(0)))],
    ['map to the caller (identity, route facts)', each((index) => sessionCaller(sessions[index], route))],
    ['all of TokenCrypto.decrypt + decode', each((index) => decodeVaultContents(crypto.decrypt(sealed[index] ?? Buffer.alloc(0), ids[index] ?? '') ?? Buffer.alloc(0)))],
  ];
  const results: MissStep[] = [];
  for (const [step, run] of steps) {
    await run();
    const samples: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      const before = process.cpuUsage();
      await run();
      const used = process.cpuUsage(before);
      samples.push((used.user + used.system) / ids.length);
    }
    results.push({ step, micros: median(samples) });
  }
  return results;
}

function open(sealed: Buffer, key: KeyObject): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(5, 17), { authTagLength: 16 });
  decipher.setAAD(sealed.subarray(0, 5));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(17, sealed.length - 16)), decipher.final()]);
}

async function inFlight(count: number, parallel: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let index = next++; index < count; index = next++) await work(index);
    }),
  );
}
