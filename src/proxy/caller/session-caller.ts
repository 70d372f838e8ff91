import type { SessionCaller } from '../forwarding/caller';
import type { Route } from '../forwarding/route';
import type { OpenSession } from '../../session/session-gate';

/** A browser's caller, straight from its vault session: no token is decoded, the identity was stored with it. */
export function sessionCaller(open: OpenSession, route: Route): SessionCaller {
  const { contents } = open.session;
  return {
    kind: 'session',
    identity: contents.identity,
    bearer: route.token === 'id' && contents.idToken ? contents.idToken : contents.accessToken,
    session: open,
  };
}
