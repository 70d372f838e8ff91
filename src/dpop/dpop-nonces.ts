const MAX_ORIGINS = 1_000;

/**
 * The last `DPoP-Nonce` each server gave (RFC 9449 §8), by origin, for every key of this instance alike: one session's
 * `use_dpop_nonce` answer spares the next session the round trip. Bounded: the least recently used origin goes first.
 */
export class DpopNonces {
  private readonly nonces = new Map<string, string>();

  get(origin: string): string | undefined {
    return this.nonces.get(origin);
  }

  /** Keeps a nonce the server at `url` (or its origin) sent; absent or empty values change nothing. */
  remember(url: string, nonce: string | string[] | null | undefined): void {
    const value = Array.isArray(nonce) ? nonce[0] : nonce;
    if (!value) return;
    const origin = originOf(url);
    if (origin === undefined) return;
    this.nonces.delete(origin);
    this.nonces.set(origin, value);
    const oldest = this.nonces.keys().next().value;
    if (this.nonces.size > MAX_ORIGINS && oldest !== undefined) this.nonces.delete(oldest);
  }
}

export function originOf(url: string): string | undefined {
  return URL.parse(url)?.origin;
}
