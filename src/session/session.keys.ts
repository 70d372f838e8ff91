import { createHash } from 'node:crypto';

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

  bySub(sub: string): string {
    return `${this.prefix}ix:sub:{${digest(sub)}}`;
  }

  bySid(sid: string): string {
    return `${this.prefix}ix:sid:{${digest(sid)}}`;
  }

  byConsumer(consumerId: string): string {
    return `${this.prefix}ix:consumer:{${consumerId}}`;
  }

  all(): string {
    return `${this.prefix}ix:all`;
  }
}

export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** A public handle for a session, shown by the admin API: derived from the key hash, useless as a credential. */
export function sessionHandle(keyHash: string): string {
  return digest(`handle:${keyHash}`).slice(0, 22);
}
