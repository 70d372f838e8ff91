import type { IncomingHttpHeaders, IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/app.error';
import { toErrorResponse } from '../common/error-body';
import { sendJsonError } from '../common/raw-json-response';
import { requestIdOf } from '../common/logger.options';
import { isAdminRequest } from '../common/plane';
import { MetricsService } from '../metrics/metrics.service';
import { CallerAuthenticator } from './caller/caller-authenticator';
import type { Caller } from './forwarding/caller';
import { ForwardingRules, type PreparedForward } from './forwarding/forwarding-rules';
import { isRefusedMethod, METHOD_REFUSED, refuseConnect } from './forwarding/refused-methods';
import type { RouteMatch } from './forwarding/route';
import { RouteTable } from './forwarding/route-table';
import { insufficientUserAuthentication, stepUpRequired } from './forwarding/step-up';
import { UpstreamClient } from './forwarding/upstream.client';
import { hasBody } from './forwarding/upstream-exchange';
import { isAuthPath } from '../common/public-surface';
import type { RequestSpan } from '../tracing/request-span';
import { replaceTrace } from '../tracing/trace-context';
import { Tracing } from '../tracing/tracing';

/**
 * The hot path, ahead of Express and Nest on the browser listener (none of their per-request machinery is needed to
 * stream a request through): match the route, authenticate the caller, check the route's rules, set the identity
 * headers, stream to the upstream and back. Requests for other paths go on to the app untouched.
 */
@Injectable()
export class ProxyHandler {
  private readonly logger = new Logger('Proxy');
  constructor(
    private readonly routes: RouteTable,
    private readonly callers: CallerAuthenticator,
    private readonly upstream: UpstreamClient,
    private readonly metrics: MetricsService,
    private readonly rules: ForwardingRules,
    private readonly tracing: Tracing,
  ) {}

  /** Puts the proxy in front of the server's current request listeners (the Express app). */
  serveFirst(server: Server): void {
    const app = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (!this.tryHandle(request, response)) for (const listener of app) listener.call(server, request, response);
    });
    refuseConnect(server);
  }

  /** Serves the request when its path belongs to a proxied route; false leaves it to the app. */
  tryHandle(request: IncomingMessage, response: ServerResponse): boolean {
    const url = request.url ?? '/';
    if (isAdminRequest(request)) return false;
    if (isRefusedMethod(request.method)) {
      sendJsonError(response, METHOD_REFUSED.status, METHOD_REFUSED.code, METHOD_REFUSED.message, { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' });
      return true;
    }
    if (isAuthPath(url)) return false;
    const match = this.routes.match(url);
    if (match === undefined) return false;
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(request);
    const span = this.tracing.request(request, 'browser');
    if ('rejected' in match) {
      sendJsonError(response, 400, 'bad_path', 'The request path is not allowed.', { 'x-request-id': requestId });
      span?.end(400);
      this.record(request, response, started, 'unmatched');
      return true;
    }
    const proxied: Proxied = { request, response, match, requestId, started, span };
    const { route } = match;
    // Most calls are authenticated from memory (a session read a moment ago, a bearer token seen before) and go
    // upstream without waiting for anything; the others wait for Redis, the IdP or Postgres first.
    const caller = route.auth === 'none' ? undefined : this.callers.authenticateCached(request, route);
    if (route.auth === 'none' || caller) this.forward(proxied, caller);
    // With span export on, the session lookup, refresh and IdP calls made on the way become this request's children.
    else if (span) void span.run(() => this.authenticateThenForward(proxied));
    else void this.authenticateThenForward(proxied);
    return true;
  }

  private async authenticateThenForward(proxied: Proxied): Promise<void> {
    let caller: Caller;
    try {
      caller = await this.callers.authenticate(proxied.request, proxied.match.route, this.rules.clientAddress(proxied.request));
    } catch (error: unknown) {
      this.fail(proxied, error);
      return;
    }
    this.forward(proxied, caller);
  }

  private forward(proxied: Proxied, caller: Caller | undefined): void {
    const { request, match, requestId, span } = proxied;
    let prepared: PreparedForward | Promise<PreparedForward>;
    try {
      // With span export on, a token exchange made on the way becomes this request's child.
      prepared = span ? span.run(() => this.rules.prepare(request, match, caller, requestId)) : this.rules.prepare(request, match, caller, requestId);
    } catch (error: unknown) {
      this.fail(proxied, error);
      return;
    }
    if (prepared instanceof Promise) prepared.then((ready) => this.send(proxied, caller, ready), (error: unknown) => this.fail(proxied, error));
    else this.send(proxied, caller, prepared);
  }

  private send(proxied: Proxied, caller: Caller | undefined, prepared: PreparedForward, retry = false): void {
    const { request, response, match, requestId } = proxied;
    const { route } = match;
    try {
      const upstreamSpan = proxied.span?.upstream(route.origin);
      if (upstreamSpan) replaceTrace(prepared.headers, upstreamSpan.headers);
      let retried = false;
      const target = {
        ...prepared,
        ownCookies: this.rules.ownCookies,
        responseHeaders: { 'x-request-id': requestId },
        // RFC 9470 challenges mean something to token clients; a browser's SPA gets the step-up JSON instead.
        answerUnauthorized: caller?.kind === 'session' ? (upstream: IncomingHttpHeaders) => this.translateChallenge(proxied, upstream) : undefined,
        retriedOn: prepared.proof
          ? (status: number, upstream: IncomingHttpHeaders) => {
              retried = this.retryWithNonce(proxied, caller, prepared, retry, status, upstream);
              return retried;
            }
          : undefined,
      };
      this.upstream.exchange(request, response, target, (outcome) => {
        this.metrics.upstreamResponses.inc({ route: route.path, class: outcome });
        upstreamSpan?.end(response.headersSent ? response.statusCode : undefined, outcome.endsWith('xx') ? undefined : outcome);
        if (retried) return;
        proxied.span?.end(response.statusCode, route.path);
        this.record(request, response, proxied.started, route.path);
      });
    } catch (error: unknown) {
      this.fail(proxied, error);
    }
  }

  /**
   * RFC 9449 §9: an upstream's `use_dpop_nonce` challenge to a DPoP call is answered once, with a proof carrying the
   * nonce — for a request without a body only (the body has gone to the first attempt); others get the 401 as sent.
   */
  private retryWithNonce(proxied: Proxied, caller: Caller | undefined, prepared: PreparedForward, retry: boolean, status: number, upstream: IncomingHttpHeaders): boolean {
    if (!this.rules.nonceChallenged(prepared, status, upstream) || retry || hasBody(proxied.request.headers)) return false;
    // Outside the first exchange's response handler; that exchange ends on its own, its answer dropped.
    setImmediate(() => this.send(proxied, caller, this.rules.reprove(prepared), true));
    return true;
  }

  private translateChallenge(proxied: Proxied, upstream: IncomingHttpHeaders): boolean {
    const need = insufficientUserAuthentication(upstream['www-authenticate']);
    if (!need) return false;
    this.answer(proxied, stepUpRequired(need, proxied.request.headers.referer, this.rules.origin));
    return true;
  }

  /** Counts and times the exchange once it is over; a call whose client left before any answer is not counted. */
  private record(request: IncomingMessage, response: ServerResponse, started: bigint, route: string): void {
    if (!response.headersSent) return;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.requests.inc({ listener: 'browser', route, method: request.method ?? 'GET', status: response.statusCode });
    this.metrics.latency.observe({ listener: 'browser', route }, seconds);
  }

  private fail(proxied: Proxied, error: unknown): void {
    this.answer(proxied, error);
    proxied.span?.end(proxied.response.statusCode, proxied.match.route.path);
    this.record(proxied.request, proxied.response, proxied.started, proxied.match.route.path);
  }

  private answer(proxied: Proxied, error: unknown): void {
    const { response, requestId: reqId } = proxied;
    const mapped = toErrorResponse(error);
    if (!mapped) {
      this.logger.error({ err: error, reqId }, 'proxy failure');
      sendJsonError(response, 500, 'internal_error', 'Internal server error.', { 'x-request-id': reqId });
    } else {
      if (mapped.status >= 500 && error instanceof AppError) this.logger.warn({ code: error.code, reqId }, 'proxy dependency failure');
      const { error: code, message, ...rest } = mapped.body;
      sendJsonError(response, mapped.status, code, message, { ...mapped.headers, 'x-request-id': reqId }, rest);
    }
  }
}

/** One proxied request on its way through. */
interface Proxied {
  request: IncomingMessage;
  response: ServerResponse;
  match: RouteMatch;
  requestId: string;
  started: bigint;
  /** The server span, when span export is on. */
  span: RequestSpan | undefined;
}
