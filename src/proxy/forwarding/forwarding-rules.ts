import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { AppError } from '../../common/app.error';
import type { HttpConfig, ProxyConfig, SessionConfig } from '../../config/app-config';
import { HTTP_CONFIG, PROXY_CONFIG, SESSION_CONFIG } from '../../config/config.tokens';
import { checkRouteAccess } from './access-rules';
import type { Caller } from './caller';
import { clientAddressOf } from './client-address';
import type { Route, RouteMatch } from './route';
import { stepUpRefusal } from './step-up';
import { continuedTraceHeaders } from '../../tracing/trace-context';
import { TokenExchanger } from '../../token-exchange/token-exchanger';
import type { UpstreamCaller } from './identity-headers';
import type { ConnectionBudget } from './upstream.client';
import { UpstreamDpop, type UpstreamProof } from './upstream-dpop';
import { buildUpstreamHeaders, type UpstreamHeaders } from './upstream-headers';
import { loginCookiePatterns, ownCookiesOf, type OwnCookies } from './upstream-set-cookie';

/** A call the route's rules let through, ready for the upstream: where it goes, what it says, under which budget. */
export interface PreparedForward {
  origin: string;
  path: string;
  timeoutMs: number;
  budget: ConnectionBudget;
  headers: UpstreamHeaders;
  /** How its DPoP proof was made, to make another for a nonce challenge (RFC 9449 §9); absent for unbound tokens. */
  proof?: UpstreamProof;
}

/**
 * The rules every forwarded call follows, an HTTP request or a WebSocket handshake alike: whether this caller may use
 * the route, and what the upstream is told (the identity, never the BFF's cookies, `X-Forwarded-*` from the BFF).
 */
@Injectable()
export class ForwardingRules {
  /** The BFF's cookies, which no upstream sees or sets. */
  readonly ownCookies: OwnCookies;
  /** The client's address as logs and rate limits see it (`TRUST_PROXY`). */
  readonly clientAddress: (request: IncomingMessage) => string;
  private readonly strippedCookies: string[];
  private readonly proto: 'http' | 'https';
  private readonly publicHost: string;
  private readonly publicOrigin: string;

  constructor(
    @Inject(HTTP_CONFIG) http: HttpConfig,
    @Inject(SESSION_CONFIG) private readonly session: SessionConfig,
    @Inject(PROXY_CONFIG) private readonly proxy: ProxyConfig,
    private readonly exchanger: TokenExchanger,
    private readonly dpop: UpstreamDpop,
  ) {
    this.ownCookies = ownCookiesOf(session.cookieName);
    this.strippedCookies = loginCookiePatterns(this.ownCookies);
    this.clientAddress = clientAddressOf(http.trustProxy);
    this.proto = http.secure ? 'https' : 'http';
    this.publicHost = new URL(http.publicUrl).host;
    this.publicOrigin = new URL(http.publicUrl).origin;
  }

  /**
   * The one step between "who is calling" and "send it upstream", for an HTTP request and a WebSocket handshake alike:
   * the route's rules (groups, scopes and audience first, then step-up) on the caller's own token — a refusal is
   * thrown, nothing is forwarded — then the token the upstream receives (the caller's, or with `token_exchange` one
   * minted for this upstream: RFC 8693), then what the upstream is told. `caller` is absent on `auth: none` routes.
   * A plan, without waiting, when all it takes is in memory (an exchanged token in the session as read, or remembered
   * for the bearer token); else a promise of one. The client's trace is continued with a new parent id; with span
   * export on, the HTTP proxy puts its upstream span's context in its place (replaceTrace).
   */
  prepare(request: IncomingMessage, match: RouteMatch, caller: Caller | undefined, requestId: string): PreparedForward | Promise<PreparedForward> {
    const { route } = match;
    if (!caller) return this.plan(request, match, undefined, requestId);
    const refusal = this.refusal(route, caller, request);
    if (refusal) throw refusal;
    const target = route.tokenExchange;
    if (!target) return this.plan(request, match, caller, requestId);
    // An exchanged token is bound to the key its subject was (the exchange carried a proof by it).
    const { identity, dpopKey } = caller;
    const exchanged = this.exchanger.cached(caller, target);
    if (exchanged) return this.plan(request, match, { bearer: exchanged.accessToken, identity, dpopKey }, requestId);
    return this.exchanger.exchange(caller, target).then((token) => this.plan(request, match, { bearer: token.accessToken, identity, dpopKey }, requestId));
  }

  /** Made again with the nonce an upstream asked for (RFC 9449 §9); the request went nowhere else meanwhile. */
  reprove(prepared: PreparedForward): PreparedForward {
    if (!prepared.proof) return prepared;
    return { ...prepared, headers: this.dpop.prove({ ...prepared.headers }, prepared.proof) };
  }

  /** Whether an upstream's answer to a DPoP call was its nonce challenge (the nonce is kept either way). */
  nonceChallenged(prepared: PreparedForward, status: number, headers: IncomingHttpHeaders): boolean {
    return prepared.proof !== undefined && this.dpop.heard(prepared.origin, status, headers);
  }

  private plan(request: IncomingMessage, match: RouteMatch, caller: UpstreamCaller | undefined, requestId: string): PreparedForward {
    const { route } = match;
    const prepared: PreparedForward = {
      origin: route.origin,
      path: match.upstreamPath,
      timeoutMs: route.timeoutMs,
      budget: { name: route.path, connections: route.maxConnections },
      headers: this.upstreamHeaders(request, caller, requestId),
    };
    if (!caller?.dpopKey) return prepared;
    // RFC 9449 §4.2: htu is the upstream's URL as this request reaches it (a WebSocket handshake's in its http form).
    const url = `${route.origin}${match.upstreamPath}`;
    prepared.proof = { key: caller.dpopKey, accessToken: caller.bearer, htm: request.method ?? 'GET', url, origin: route.origin };
    this.dpop.prove(prepared.headers, prepared.proof);
    return prepared;
  }

  private refusal(route: Route, caller: Caller, request: IncomingMessage): AppError | undefined {
    return checkRouteAccess(route, caller.identity) ?? stepUpRefusal(route, caller, request.headers.referer, this.publicOrigin);
  }

  private upstreamHeaders(request: IncomingMessage, caller: UpstreamCaller | undefined, requestId: string): UpstreamHeaders {
    const headers = buildUpstreamHeaders(request.headers, {
      caller,
      sessionCookieName: this.session.cookieName,
      strippedCookies: this.strippedCookies,
      csrfHeader: this.session.csrfHeader,
      claimHeaders: this.proxy.upstreamHeaders,
      clientIp: this.clientAddress(request),
      proto: this.proto,
      // The browser-visible host is PUBLIC_URL's; a client-chosen Host header must not reach upstreams as X-Forwarded-Host.
      host: this.publicHost,
      trace: continuedTraceHeaders(request.headers.traceparent, request.headers.tracestate),
    });
    headers['x-request-id'] = requestId;
    return headers;
  }

  /** The origin that step-up login URLs are made for. */
  get origin(): string {
    return this.publicOrigin;
  }
}
