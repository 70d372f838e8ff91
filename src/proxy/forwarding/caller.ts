import type { AccessFacts } from './access-rules';
import type { UpstreamIdentity } from './upstream-headers';

/**
 * The seam between the proxy's two halves: all that forwarding knows of whoever is calling. The caller half
 * (`proxy/caller/`) builds it from a session, a bearer token or a client-credentials exchange.
 */
export interface Caller {
  /** A browser with a session cookie, or a client with a token (its own, or one from a client-credentials exchange). */
  kind: 'session' | 'token';
  /** What the upstream is told (bearer token, consumer, groups, claims). */
  identity: UpstreamIdentity;
  /** What the route's rules are checked against. */
  facts: AccessFacts;
}
