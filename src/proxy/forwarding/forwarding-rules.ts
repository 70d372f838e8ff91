import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { AppError } from '../../common/app.error';
import type { HttpConfig, ProxyConfig, SessionConfig } from '../../config/app-config';
import { HTTP_CONFIG, PROXY_CONFIG, SESSION_CONFIG } from '../../config/config.tokens';
import { checkRouteAccess } from './access-rules';
import type { Caller } from './caller';
import { clientAddressOf } from './client-address';
import type { Route } from './route';
import { stepUpRefusal } from './step-up';
import { continuedTraceHeaders } from '../../tracing/trace-context';
import type { TraceHeaders } from '../../tracing/request-span';
import { buildUpstreamHeaders, type UpstreamHeaders, type UpstreamIdentity } from './upstream-headers';
import { loginCookiePatterns, ownCookiesOf, type OwnCookies } from './upstream-set-cookie';

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

  /** Groups, scopes and audience first, then step-up: the refusal to answer, or undefined when the caller may pass. */
  refusal(route: Route, caller: Caller, request: IncomingMessage): AppError | undefined {
    return checkRouteAccess(route, caller.facts) ?? stepUpRefusal(route, caller, request.headers.referer, this.publicOrigin);
  }

  /**
   * The request headers the upstream receives; `identity` is absent on `auth: none` routes. `trace` is the upstream
   * span's context when span export is on; otherwise the client's trace is continued with a new parent id.
   */
  upstreamHeaders(request: IncomingMessage, identity: UpstreamIdentity | undefined, requestId: string, trace?: TraceHeaders): UpstreamHeaders {
    const headers = buildUpstreamHeaders(request.headers, {
      identity,
      sessionCookieName: this.session.cookieName,
      strippedCookies: this.strippedCookies,
      csrfHeader: this.session.csrfHeader,
      claimHeaders: this.proxy.upstreamHeaders,
      clientIp: this.clientAddress(request),
      proto: this.proto,
      // The browser-visible host is PUBLIC_URL's; a client-chosen Host header must not reach upstreams as X-Forwarded-Host.
      host: this.publicHost,
      trace: trace ?? continuedTraceHeaders(request.headers.traceparent, request.headers.tracestate),
    });
    headers['x-request-id'] = requestId;
    return headers;
  }

  /** The origin that step-up login URLs are made for. */
  get origin(): string {
    return this.publicOrigin;
  }
}
