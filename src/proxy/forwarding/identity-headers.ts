import type { DpopKey } from '../../dpop/dpop-key';
import type { CallerIdentity } from '../../identity/caller-identity';
import { toHeaderValue } from './header-value';

/** What an upstream is told of its caller: a view of the identity (the route's rules see another, access-rules.ts). */
export type UpstreamIdentity = Pick<CallerIdentity, 'consumer' | 'anonymous' | 'credential' | 'groups' | 'headerClaims'>;

/** The caller as forwarded: who it is, and the token that goes upstream (bound to `dpopKey`, when it has one). */
export interface UpstreamCaller {
  bearer: string;
  identity: UpstreamIdentity;
  dpopKey?: DpopKey;
}

export type UpstreamHeaders = Record<string, string | string[]>;

/**
 * Every header `identityHeaders` sets but `Authorization` (which replaces the client's only where the BFF
 * authenticates): a client's copy of one never reaches an upstream, in any spelling (protected-headers.ts).
 */
export const IDENTITY_HEADERS = [
  'x-consumer-id',
  'x-consumer-username',
  'x-consumer-custom-id',
  'x-credential-identifier',
  'x-authenticated-groups',
  'x-anonymous-consumer',
] as const;

/** The one builder of the identity headers (Kong's names), for every kind of caller alike. */
export function identityHeaders({ bearer, identity, dpopKey }: UpstreamCaller): UpstreamHeaders {
  // RFC 9449 §7.1: a bound token's scheme is DPoP (its proof is ForwardingRules'); an unbound one's, Bearer.
  const headers: UpstreamHeaders = { authorization: dpopKey ? `DPoP ${bearer}` : `Bearer ${bearer}` };
  const { consumer } = identity;
  if (consumer) {
    headers['x-consumer-id'] = toHeaderValue(consumer.id);
    if (consumer.username !== null) headers['x-consumer-username'] = toHeaderValue(consumer.username);
    if (consumer.custom_id !== null) headers['x-consumer-custom-id'] = toHeaderValue(consumer.custom_id);
  }
  if (identity.credential !== undefined) headers['x-credential-identifier'] = toHeaderValue(identity.credential);
  // Kong joins groups with ", "; readers split on "," and trim.
  if (identity.groups.length > 0) headers['x-authenticated-groups'] = identity.groups.map(toHeaderValue).join(', ');
  if (identity.anonymous) headers['x-anonymous-consumer'] = 'true';
  return headers;
}
