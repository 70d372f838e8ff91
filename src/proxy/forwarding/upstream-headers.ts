import type { IncomingHttpHeaders } from 'node:http';
import type { TraceHeaders } from '../../tracing/request-span';
import { withoutCookies } from './cookie-header';
import { claimHeaderValue, toHeaderValue } from './header-value';
import { identityHeaders, type UpstreamCaller, type UpstreamHeaders, type UpstreamIdentity } from './identity-headers';
import { canonicalHeaderName, hasUnderscore, isProtected } from './protected-headers';
import { withoutOwnCookies, type OwnCookies } from './upstream-set-cookie';

export type { UpstreamHeaders } from './identity-headers';

export interface UpstreamHeaderContext {
  /** Absent on `auth: none` routes: then the client's own Authorization goes through. */
  caller?: UpstreamCaller;
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
    if (hasUnderscore(rawName) || NEVER_FORWARDED.has(name) || name === csrf || isProtected(name)) continue;
    if ((ctx.caller && name === 'authorization') || isClaimHeader(name, ctx.claimHeaders)) continue;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [previous, value].flat();
  }
  if (connection !== undefined) for (const token of connectionTokens(connection)) delete headers[token];
  const cookie = withoutCookies(headers.cookie, ctx.sessionCookieName, ctx.strippedCookies);
  if (cookie === undefined) delete headers.cookie;
  else headers.cookie = cookie;

  if (ctx.caller) Object.assign(headers, claimHeaders(ctx.caller.identity, ctx.claimHeaders), identityHeaders(ctx.caller));
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

function claimHeaders(identity: UpstreamIdentity, mapping: UpstreamHeaderContext['claimHeaders']): UpstreamHeaders {
  const headers: UpstreamHeaders = {};
  for (const { claim, header } of mapping) {
    const name = canonicalHeaderName(header);
    const value = Object.hasOwn(identity.headerClaims, claim) ? claimHeaderValue(identity.headerClaims[claim]) : undefined;
    if (value !== undefined && !NOT_CLAIM_TARGETS.has(name) && !isProtected(name)) headers[name] = value;
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
