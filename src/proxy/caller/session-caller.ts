import type { SessionCaller } from '../forwarding/caller';
import type { Route } from '../forwarding/route';
import type { OpenSession } from '../../session/session-gate';

/**
 * A browser's caller, straight from its vault session: no token is decoded, the identity was stored with it. Its access
 * token is bound to the session's DPoP key when it has one; an ID token (`token: id`) never is.
 */
export function sessionCaller(open: OpenSession, route: Route): SessionCaller {
  const { contents } = open.session;
  const idToken = route.token === 'id' ? contents.idToken : undefined;
  return {
    kind: 'session',
    identity: contents.identity,
    bearer: idToken ?? contents.accessToken,
    session: open,
    dpopKey: idToken === undefined ? contents.dpopKey : undefined,
  };
}
