import { sha256Base64url } from '../common/sha256';

/**
 * The vault's Redis key layout. A session's own keys share the hash tag `{<hash>}` so they sit in one Cluster slot;
 * indexes are separate keys, maintained with single-key commands.
 */
export class SessionKeys {
  constructor(private readonly prefix: string) {}

  session(keyHash: string): string {
    return `${this.prefix}s:{${keyHash}}`;
  }

  tombstone(keyHash: string): string {
    return `${this.prefix}s:{${keyHash}}:revoked`;
  }

  refreshLock(keyHash: string): string {
    return `${this.prefix}s:{${keyHash}}:refresh-lock`;
  }

  /** The outstanding device-binding challenges of a session (a sorted set scored by expiry): see src/device-binding/. */
  deviceChallenges(keyHash: string): string {
    return `${this.prefix}s:{${keyHash}}:dbsc-challenges`;
  }

  bySub(sub: string): string {
    return `${this.prefix}ix:sub:{${sha256Base64url(sub)}}`;
  }

  bySid(sid: string): string {
    return `${this.prefix}ix:sid:{${sha256Base64url(sid)}}`;
  }

  byConsumer(consumerId: string): string {
    return `${this.prefix}ix:consumer:{${consumerId}}`;
  }

  all(): string {
    return `${this.prefix}ix:all`;
  }
}

/** A public handle for a session, shown by the admin API: derived from the key hash, useless as a credential. */
export function sessionHandle(keyHash: string): string {
  return sha256Base64url(`handle:${keyHash}`).slice(0, 22);
}
