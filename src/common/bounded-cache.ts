interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A least-recently-used map whose entries also expire. Map keeps insertion order, so re-inserting on a hit moves an
 * entry to the back and the first key is always the least recently used one.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` until `expiresAt` (epoch ms); one that has already expired is not stored. */
  set(key: string, value: V, expiresAt: number, now = Date.now()): void {
    this.entries.delete(key);
    if (expiresAt <= now) return;
    this.entries.set(key, { value, expiresAt });
    if (this.entries.size > this.maxEntries) this.evictOldest();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
