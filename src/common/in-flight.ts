/**
 * Concurrent asks for one key share one answer: the first starts the work, the others join it, and the key is free
 * again once it settles. A `generation` (say, an invalidation epoch) keeps a late ask from joining work that began
 * before something changed.
 */
export class InFlight<V> {
  private readonly pending = new Map<string, { generation: unknown; promise: Promise<V> }>();

  run(key: string, work: () => Promise<V>, generation?: unknown): Promise<V> {
    const joined = this.pending.get(key);
    if (joined && joined.generation === generation) return joined.promise;
    const entry = { generation, promise: work() };
    this.pending.set(key, entry);
    const forget = () => {
      if (this.pending.get(key) === entry) this.pending.delete(key);
    };
    entry.promise.then(forget, forget);
    return entry.promise;
  }
}
