import { once } from 'node:events';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../../test/support/test-redis';
import { WriteBatching } from './write-batching';

describe('WriteBatching', () => {
  const client = new Redis(TEST_REDIS_URL);

  afterAll(() => client.disconnect());

  it('sends the commands of one event-loop turn in one write, and lets them go before the turn ends', async () => {
    if (client.status !== 'ready') await once(client, 'ready');
    const batching = new WriteBatching(client);
    const writes: number[] = [];
    const stream = client.stream;
    const writev = stream._writev?.bind(stream);
    stream._writev = (chunks, callback) => {
      writes.push(chunks.length);
      writev?.(chunks, callback);
    };

    const replies = Array.from({ length: 10 }, (_, index) => {
      batching.hold();
      return client.echo(`call ${index}`);
    });
    const corkedDuringTurn = stream.writableCorked;
    await new Promise<void>((resolve) => setImmediate(resolve));
    const corkedAfterTurn = stream.writableCorked;

    await expect(Promise.all(replies)).resolves.toEqual(Array.from({ length: 10 }, (_, index) => `call ${index}`));
    expect(corkedDuringTurn).toBe(1);
    expect(corkedAfterTurn).toBe(0);
    expect(writes).toEqual([10]);
  });
});
