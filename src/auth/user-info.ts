import { sessionHandle } from '../session/session.keys';
import type { Session } from '../session/session.types';
import { decodeJwtPayload } from '../identity/claims';
import type { ConsumerIdentity } from '../identity/caller-identity';
import { logoutUrl } from '../common/public-surface';

export interface UserInfo {
  sub: string;
  claims: Record<string, unknown>;
  groups: string[];
  consumer: ConsumerIdentity | null;
  /** `device_bound`: the session is bound to the browser's device key (DBSC). */
  session: { expires_at: string; idle_expires_at: string; device_bound: boolean };
  logoutUrl: string;
}

/** What the SPA may know about its user: claims and identity, never a token. */
export function toUserInfo(session: Session): UserInfo {
  const { contents } = session;
  const claims = decodeJwtPayload(contents.idToken);
  for (const protocolClaim of ['nonce', 'at_hash', 'c_hash', 's_hash']) delete claims[protocolClaim];
  return {
    sub: contents.sub,
    claims,
    groups: [...contents.identity.groups],
    consumer: contents.identity.consumer,
    session: {
      expires_at: new Date(session.absoluteExpiresAt).toISOString(),
      idle_expires_at: new Date(session.idleExpiresAt).toISOString(),
      device_bound: contents.deviceBinding !== undefined,
    },
    logoutUrl: logoutUrl(sessionHandle(session.keyHash)),
  };
}
