import type { IncomingMessage } from 'node:http';
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
import type { ConnectionBudget } from './upstream.client';
import { buildUpstreamHeaders, type UpstreamHeaders } from './upstream-headers';
import { loginCookiePatterns, ownCookiesOf, type OwnCookies } from './upstream-set-cookie';

/** A call the route's rules let through, ready for the upstream: where it goes, what it says, under which budget. */
export interface PreparedForward {
  origin: string;
  path: string;
  timeoutMs: number;
  budget: ConnectionBudget;
  headers: UpstreamHeaders;
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
   * the route's rules (groups, scopes and audience first, then step-up) — a refusal is thrown, nothing is forwarded —
   * then what the upstream receives. `caller` is absent on `auth: none` routes. The client's trace is continued with a
   * new parent id; with span export on, the HTTP proxy puts its upstream span's context in its place (replaceTrace).
   */
  prepare(request: IncomingMessage, match: RouteMatch, caller: Caller | undefined, requestId: string): PreparedForward {
    const { route } = match;
    if (caller) {
      const refusal = this.refusal(route, caller, request);
      if (refusal) throw refusal;
    }
    return {
      origin: route.origin,
      path: match.upstreamPath,
      timeoutMs: route.timeoutMs,
      budget: { name: route.path, connections: route.maxConnections },
      headers: this.upstreamHeaders(request, caller, requestId),
    };
  }

  private refusal(route: Route, caller: Caller, request: IncomingMessage): AppError | undefined {
    return checkRouteAccess(route, caller.identity) ?? stepUpRefusal(route, caller, request.headers.referer, this.publicOrigin);
  }

  private upstreamHeaders(request: IncomingMessage, caller: Caller | undefined, requestId: string): UpstreamHeaders {
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
