import { Redis } from 'ioredis';
import type { RedisConnection } from '../redis/redis.connection';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../../test/support/test-redis';
import { SessionRecords } from './session-record';
import { SessionKeys } from './session.keys';

const IDLE_MS = 600_000;
const T0 = 1_900_000_000_000;
const ABSOLUTE = T0 + 3_600_000;

/** Against the real Redis: every time is passed in, so nothing waits for the clock. */
describe('SessionRecords (the request path\'s read of a session)', () => {
  const prefix = uniqueRedisPrefix();
  const keys = new SessionKeys(prefix);
  const client = new Redis(TEST_REDIS_URL);
  const connection = { client, prefix, run: <T>(operation: (c: Redis) => Promise<T>) => operation(client) };
  const sut = new SessionRecords(connection as unknown as RedisConnection, keys, IDLE_MS);
  sut.defineCommands();
  let count = 0;

  afterAll(async () => {
    await dropKeysUnder(prefix);
    client.disconnect();
  });

  async function stored(slidAt = T0, absolute = ABSOLUTE): Promise<{ keyHash: string; key: string }> {
    count += 1;
    const keyHash = `hash-${count}`;
    const key = keys.session(keyHash);
    await client.multi().hset(key, { d: 'sealed', v: 3, a: absolute, s: slidAt, m: '{}' }).pexpire(key, 1_000).exec();
    return { keyHash, key };
  }

  /** The slide is sent after the read's answer, on the same connection: a later command is answered after it. */
  async function afterSlide(key: string): Promise<{ slidAt: string | null; ttl: number }> {
    const [slidAt, ttl] = await Promise.all([client.hget(key, 's'), client.pttl(key)]);
    return { slidAt, ttl };
  }

  it('reads an active session with one plain read, and writes nothing while the last slide is recent', async () => {
    const { keyHash, key } = await stored();

    const record = await sut.read(keyHash, T0 + IDLE_MS / 10 - 1);

    expect(record).toEqual({ status: 'active', sealed: Buffer.from('sealed'), version: 3, absoluteExpiresAt: ABSOLUTE, idleExpiresAt: T0 + IDLE_MS });
    const { slidAt, ttl } = await afterSlide(key);
    expect(slidAt).toBe(String(T0));
    expect(ttl).toBeLessThanOrEqual(1_000);
  });

  it('slides the idle timeout once a tenth of it has passed since the last slide', async () => {
    const { keyHash, key } = await stored();
    const now = T0 + IDLE_MS / 10;

    const record = await sut.read(keyHash, now);

    expect(record).toMatchObject({ status: 'active', idleExpiresAt: now + IDLE_MS });
    const { slidAt, ttl } = await afterSlide(key);
    expect(slidAt).toBe(String(now));
    expect(ttl).toBeGreaterThan(IDLE_MS - 5_000);
  });

  it('slides when the last slide is a tenth of the idle timeout in its future (an instance whose clock runs ahead wrote it), so clock skew never ends a session in use', async () => {
    const skew = IDLE_MS / 10;
    const { keyHash, key } = await stored(T0 + skew);

    const record = await sut.read(keyHash, T0);

    expect(record).toMatchObject({ status: 'active', idleExpiresAt: T0 + IDLE_MS });
    const { slidAt, ttl } = await afterSlide(key);
    expect(slidAt).toBe(String(T0));
    expect(ttl).toBeGreaterThan(IDLE_MS - 5_000);
  });

  it('does not slide for a last slide a moment in its future (another instance, or a read that began before it)', async () => {
    const { keyHash, key } = await stored(T0 + IDLE_MS / 10 - 1);

    await sut.read(keyHash, T0);

    await expect(afterSlide(key)).resolves.toMatchObject({ slidAt: String(T0 + IDLE_MS / 10 - 1) });
  });

  it('slides a session stored without a last slide instead of ending it', async () => {
    const { keyHash, key } = await stored();
    await client.hdel(key, 's');

    const record = await sut.read(keyHash, T0);

    expect(record).toMatchObject({ status: 'active', idleExpiresAt: T0 + IDLE_MS });
    await expect(afterSlide(key)).resolves.toMatchObject({ slidAt: String(T0) });
  });

  it('never slides the key past the absolute timeout', async () => {
    const now = ABSOLUTE - 2_000;
    const { keyHash, key } = await stored(now - IDLE_MS);

    const record = await sut.read(keyHash, now);

    expect(record).toMatchObject({ status: 'active', idleExpiresAt: ABSOLUTE });
    const { ttl } = await afterSlide(key);
    expect(ttl).toBeLessThanOrEqual(2_000);
    expect(ttl).toBeGreaterThan(0);
  });

  it('ends a session at its absolute timeout even before Redis evicts the key', async () => {
    const { keyHash } = await stored(T0, T0 + 10);

    await expect(sut.read(keyHash, T0 + 10)).resolves.toEqual({ status: 'ended', reason: 'session_expired' });
  });

  it('tells a revoked session (its tombstone) from one that expired or never was', async () => {
    await client.set(keys.tombstone('revoked-one'), '1', 'PX', 10_000);

    await expect(sut.read('revoked-one', T0)).resolves.toEqual({ status: 'ended', reason: 'session_revoked' });
    await expect(sut.read('never-there', T0)).resolves.toEqual({ status: 'ended', reason: 'session_expired' });
  });

  it('never recreates a session that ended between its read and its slide', async () => {
    const key = keys.session('ended-meanwhile');

    await expect(client.bffSlideIdle(key, T0, IDLE_MS)).resolves.toBe(0);
    await expect(client.exists(key)).resolves.toBe(0);
  });
});
