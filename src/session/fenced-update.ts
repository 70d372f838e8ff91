import type { Session, SessionLookup, VaultContents } from './session.types';

/** The two vault operations a fenced update is made of (SessionStore). */
export interface FencedVault {
  lookup(sessionId: string): Promise<SessionLookup>;
  replaceContents(sessionId: string, session: Session, contents: VaultContents): Promise<Session | undefined>;
}

/** What `change` makes of the stored contents; `undefined` declines (what it would write is already outdated). */
export type ContentsChange = (contents: VaultContents) => VaultContents | undefined;

export type FencedUpdate = { written: boolean; session: Session } | undefined;

// Several writers of one session (a refresh, a token exchange per route) rarely collide more than once.
const MAX_ATTEMPTS = 5;

/**
 * Applies `change` to a session's contents under the version fence; when another writer got in first, the session is
 * read again and `change` applied to what it wrote, so neither write loses the other's (a refresh's rotated refresh
 * token, an exchange's token). `written: false`: `change` declined, `session` is what is stored. `undefined`: the
 * session ended, or the writes kept colliding.
 */
export async function updateContentsFenced(vault: FencedVault, sessionId: string, seen: Session, change: ContentsChange): Promise<FencedUpdate> {
  let current = seen;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const next = change(current.contents);
    if (next === undefined) return { written: false, session: current };
    const written = await vault.replaceContents(sessionId, current, next);
    if (written) return { written: true, session: written };
    const lookup = await vault.lookup(sessionId);
    if (lookup.status === 'ended') return undefined;
    current = lookup.session;
  }
  return undefined;
}
