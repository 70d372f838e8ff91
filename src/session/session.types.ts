import type { DeviceBinding } from '../device-binding/device-binding.types';
import type { DpopKey } from '../dpop/dpop-key';
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
  /** Tokens exchanged for routes' upstreams (RFC 8693), by the route's exchange key; they end with the session. */
  exchanged?: Readonly<Record<string, ExchangedToken>>;
  /** OIDC_USERINFO: the userinfo endpoint's claims at login or the last refresh, which fill in what the ID token lacks. */
  userinfo?: Readonly<Record<string, unknown>>;
  /** The browser's device key, once it registered one (SESSION_DEVICE_BINDING); then every use needs the bound cookie. */
  deviceBinding?: DeviceBinding;
  /**
   * OIDC_DPOP=on: the key the session's tokens are bound to (RFC 9449), made at login, sealed with them. Sessions
   * stored without one use Bearer tokens until they end.
   */
  dpopKey?: DpopKey;
}

/** A token the IdP minted for one route's upstream in exchange for the session's access token (RFC 8693). */
export interface ExchangedToken {
  accessToken: string;
  /** Epoch milliseconds; never later than the access token it was exchanged from. */
  expiresAt: number;
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
