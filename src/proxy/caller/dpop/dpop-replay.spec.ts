import type { RedisConnection } from '../../../redis/redis.connection';
import { PROOF_IAT_WINDOW_SECONDS } from './dpop-proof';
import { DpopReplayGuard } from './dpop-replay';

describe('DpopReplayGuard', () => {
  it('remembers a jti while an instance whose clock is up to 5 s behind could still accept the proof', async () => {
    const sets: unknown[][] = [];
    const client = { set: (...args: unknown[]) => Promise.resolve(sets.push(args) === 1 ? 'OK' : null) };
    const redis = { key: (...parts: string[]) => parts.join(':'), run: (operation: (c: typeof client) => Promise<unknown>) => operation(client) };
    const sut = new DpopReplayGuard(redis as unknown as RedisConnection);
    await expect(sut.firstUse('thumbprint', 'jti-1')).resolves.toBe(true);
    // Accepted at t on an instance whose clock says iat = t + 60 s; one whose clock is 5 s behind accepts it until t + 125 s.
    const [, , px, ttl, nx] = sets[0] ?? [];
    expect([px, nx]).toEqual(['PX', 'NX']);
    expect(ttl).toBeGreaterThanOrEqual((2 * PROOF_IAT_WINDOW_SECONDS + 5) * 1000);
  });
});
