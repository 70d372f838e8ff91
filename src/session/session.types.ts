import type { DeviceBinding } from '../device-binding/device-binding.types';
import type { CallerIdentity } from '../identity/caller-identity';
import type { SessionEndReason } from './session.errors';


/** What the vault seals: the tokens, plus the identity the hot path needs so a proxied call needs no Postgres. */
export interface VaultContents {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Epoch milliseconds when the access token expires. */
  accessTokenExpiresAt: number;
  scope?: string;
  /** The ID token's `sub` and `sid`: whose session it is, for its indexes, logout and the refresh's check (OIDC Core 12.2). */
  sub: string;
  sid?: string;
  /** Worked out once at login (and its scopes and audiences at each refresh), never on a request. */
  identity: CallerIdentity;
  /** The browser's device key, once it registered one (SESSION_DEVICE_BINDING); then every use needs the bound cookie. */
  deviceBinding?: DeviceBinding;
}

/** Stored in clear beside the sealed contents: enough to list a user's sessions without decrypting them. */
export interface SessionMeta {
  handle: string;
  sub: string;
  consumerId: string | null;
  createdAt: number;
  absoluteExpiresAt: number;
  userAgent?: string;
}

export interface Session {
  /** Hash of the session id: the Redis key part. The raw id lives only in the cookie. */
  keyHash: string;
  contents: VaultContents;
  version: number;
  absoluteExpiresAt: number;
  idleExpiresAt: number;
}

export type SessionLookup =
  | { status: 'active'; session: Session }
  | { status: 'ended'; reason: Exclude<SessionEndReason, 'refresh_failed'> };

export interface SessionSummary {
  id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  user_agent: string | null;
  /** Bound to the browser's device key (DBSC). */
  device_bound: boolean;
}
