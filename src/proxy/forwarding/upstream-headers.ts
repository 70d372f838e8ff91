import type { IncomingHttpHeaders } from 'node:http';
import type { ConsumerIdentity } from '../../common/consumer-identity';
import type { TraceHeaders } from '../../tracing/request-span';
import { withoutCookies } from './cookie-header';
import { claimHeaderValue, toHeaderValue } from './header-value';
import { canonicalHeaderName, hasUnderscore, isSetByBff } from './protected-headers';
import { withoutOwnCookies, type OwnCookies } from './upstream-set-cookie';

/** Who the upstream is told it is talking to; built by the caller half (`proxy/caller/`). */
export interface UpstreamIdentity {
  bearer: string;
  consumer: ConsumerIdentity | null;
  /** The consumer claim's value. */
  credential?: string;
  /** Set when the consumer is ANONYMOUS_CONSUMER, as Kong does. */
  anonymous?: boolean;
  groups: readonly string[];
  claims: Readonly<Record<string, unknown>>;
}

export interface UpstreamHeaderContext {
  /** Absent on `auth: none` routes: then the client's own Authorization goes through. */
  identity?: UpstreamIdentity;
  sessionCookieName: string;
  /** More cookies the upstream must not see (login state); a trailing `*` makes a prefix. */
  strippedCookies?: readonly string[];
  csrfHeader: string;
  claimHeaders: readonly { claim: string; header: string }[];
  /** Express's `req.ip`, which already honours `trust proxy`. */
  clientIp: string;
  proto: 'http' | 'https';
  host: string;
  /** The trace the upstream continues; the client's own traceparent and tracestate never go through as sent. */
  trace?: TraceHeaders;
}

export type UpstreamHeaders = Record<string, string | string[]>;

// RFC 9110 §7.6.1, plus the non-standard ones proxies have always dropped.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);
// `expect` is answered by Node's server itself, and undici refuses to send it.
const NEVER_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'expect', 'traceparent', 'tracestate']);
// Claim headers may not stand in for headers with a meaning of their own.
const NOT_CLAIM_TARGETS = new Set([...NEVER_FORWARDED, 'authorization', 'cookie', 'content-length', 'content-type']);

/** The request headers an upstream receives: the client's, minus anything it could use to pose as someone, plus ours. */
export function buildUpstreamHeaders(incoming: IncomingHttpHeaders, ctx: UpstreamHeaderContext): UpstreamHeaders {
  // Runs on every proxied request: one pass over the headers, no per-request sets or arrays.
  const csrf = canonicalHeaderName(ctx.csrfHeader);
  const headers: UpstreamHeaders = {};
  let connection: string | string[] | undefined;
  for (const rawName in incoming) {
    const value = incoming[rawName];
    if (value === undefined) continue;
    const name = canonicalHeaderName(rawName);
    if (name === 'connection') connection = connection === undefined ? value : [connection, value].flat();
    if (hasUnderscore(rawName) || NEVER_FORWARDED.has(name) || name === csrf || isSetByBff(name)) continue;
    if ((ctx.identity && name === 'authorization') || isClaimHeader(name, ctx.claimHeaders)) continue;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [previous, value].flat();
  }
  if (connection !== undefined) for (const token of connectionTokens(connection)) delete headers[token];
  const cookie = withoutCookies(headers.cookie, ctx.sessionCookieName, ctx.strippedCookies);
  if (cookie === undefined) delete headers.cookie;
  else headers.cookie = cookie;

  if (ctx.identity) Object.assign(headers, claimHeaders(ctx.identity, ctx.claimHeaders), identityHeaders(ctx.identity));
  if (ctx.clientIp) headers['x-forwarded-for'] = ctx.clientIp;
  headers['x-forwarded-proto'] = ctx.proto;
  if (ctx.host) headers['x-forwarded-host'] = toHeaderValue(ctx.host);
  if (ctx.trace) Object.assign(headers, ctx.trace);
  return headers;
}

/** The upstream's response headers minus the hop-by-hop ones and any `Set-Cookie` for the BFF's own cookies. */
export function filterResponseHeaders(upstream: Record<string, string | string[] | undefined>, ownCookies?: OwnCookies): UpstreamHeaders {
  const headers: UpstreamHeaders = {};
  let connection: string | string[] | undefined;
  for (const rawName in upstream) {
    const value = upstream[rawName];
    if (value === undefined) continue;
    const name = canonicalHeaderName(rawName);
    if (name === 'connection') connection = connection === undefined ? value : [connection, value].flat();
    if (HOP_BY_HOP.has(name)) continue;
    if (name !== 'set-cookie' || !ownCookies) headers[rawName.toLowerCase()] = value;
    else {
      const kept = withoutOwnCookies(value, ownCookies);
      if (kept.length > 0) headers['set-cookie'] = kept;
    }
  }
  if (connection !== undefined) for (const token of connectionTokens(connection)) deleteCanonically(headers, token);
  return headers;
}

/** Removes every header whose name canonicalises to `canonicalName`. */
function deleteCanonically(headers: UpstreamHeaders, canonicalName: string): void {
  for (const name in headers) if (canonicalHeaderName(name) === canonicalName) delete headers[name];
}

function isClaimHeader(name: string, mapping: UpstreamHeaderContext['claimHeaders']): boolean {
  for (const { header } of mapping) if (canonicalHeaderName(header) === name) return true;
  return false;
}

function identityHeaders(identity: UpstreamIdentity): UpstreamHeaders {
  const headers: UpstreamHeaders = { authorization: `Bearer ${identity.bearer}` };
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

function claimHeaders(identity: UpstreamIdentity, mapping: UpstreamHeaderContext['claimHeaders']): UpstreamHeaders {
  const headers: UpstreamHeaders = {};
  for (const { claim, header } of mapping) {
    const name = canonicalHeaderName(header);
    const value = Object.hasOwn(identity.claims, claim) ? claimHeaderValue(identity.claims[claim]) : undefined;
    if (value !== undefined && !NOT_CLAIM_TARGETS.has(name) && !isSetByBff(name)) headers[name] = value;
  }
  return headers;
}

/** Headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(values: string | string[]): string[] {
  const tokens: string[] = [];
  for (const value of typeof values === 'string' ? [values] : values) {
    for (const token of value.split(',')) {
      const name = canonicalHeaderName(token.trim());
      if (name !== '') tokens.push(name);
    }
  }
  return tokens;
}
