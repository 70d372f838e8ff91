import type { Caller } from '../forwarding/caller';
import type { Route } from '../forwarding/route';
import type { Session } from '../../session/session.types';

/** A browser's caller, straight from its vault session: no token is decoded, the facts were stored with it. */
export function sessionCaller(session: Session, route: Route): Caller {
  const { contents } = session;
  return {
    kind: 'session',
    identity: {
      bearer: route.token === 'id' && contents.idToken ? contents.idToken : contents.accessToken,
      consumer: contents.consumer,
      credential: contents.credential,
      groups: contents.groups,
      claims: contents.headerClaims,
    },
    facts: {
      groups: contents.groups,
      scopes: contents.scopes,
      audiences: contents.audiences,
      acr: contents.acr,
      authTime: contents.authTime,
    },
  };
}
