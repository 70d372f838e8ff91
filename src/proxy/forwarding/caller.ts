import type { DpopKey } from '../../dpop/dpop-key';
import type { CallerIdentity } from '../../identity/caller-identity';
import type { OpenSession } from '../../session/session-gate';

/**
 * The seam between the proxy's two halves: all that forwarding knows of whoever is calling. The caller half
 * (`proxy/caller/`) builds it from a session, a bearer token or a client-credentials exchange.
 */
interface CallerOf<Kind extends string> {
  kind: Kind;
  identity: CallerIdentity;
  /** The token the upstream receives as `Authorization: Bearer` (or `DPoP`, with `dpopKey`). */
  bearer: string;
  /** The key `bearer` is bound to (OIDC_DPOP): the upstream receives it as `Authorization: DPoP`, with a proof. */
  dpopKey?: DpopKey;
}

/** A browser with a session cookie; what it opens lasts as long as the session (SessionWatch). */
export interface SessionCaller extends CallerOf<'session'> {
  session: OpenSession;
}

/** A client with a token (its own, or one from a client-credentials exchange); what it opens lasts as long as the token. */
export interface TokenCaller extends CallerOf<'token'> {
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The token's `cnf.jkt` when it is DPoP-bound (RFC 9449): every request with it then needs a proof by that key. */
  boundKey?: string;
}

export type Caller = SessionCaller | TokenCaller;
