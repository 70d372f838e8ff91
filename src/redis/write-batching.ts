import { Redis } from 'ioredis';
import type { RedisClient } from './redis.connection';

/**
 * Lets the commands that the requests of one event-loop turn send reach Redis in one write. Under load, a turn hands
 * the BFF several requests at once (every socket that became readable), and each sends its session read: without
 * this, each read is a system call of its own (about as costly as the rest of a session-cache miss together). The
 * socket is corked for the rest of the turn and uncorked in its check phase (`setImmediate`), before the loop waits for
 * I/O again, so no command waits longer than the turn it was sent in.
 *
 * Standalone and Sentinel clients only: a Cluster client writes to one connection per node, and is left as it is.
 */
export class WriteBatching {
  private corked: RedisStream | undefined;
  private readonly release = (): void => {
    const stream = this.corked;
    this.corked = undefined;
    stream?.uncork();
  };

  constructor(private readonly client: RedisClient) {}

  /** Call just before sending a command that may be sent alongside others in this turn. */
  hold(): void {
    if (this.corked || !(this.client instanceof Redis)) return;
    const stream = this.client.stream as RedisStream | undefined;
    if (!stream?.writable) return;
    stream.cork();
    this.corked = stream;
    setImmediate(this.release);
  }
}

type RedisStream = Redis['stream'];
