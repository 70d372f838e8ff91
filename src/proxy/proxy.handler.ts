import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../common/app.error';
import { toErrorResponse } from '../common/error-body';
import { isAdminRequest } from '../common/plane';
import type { HttpConfig, ProxyConfig, SessionConfig } from '../config/app-config';
import { HTTP_CONFIG, PROXY_CONFIG, SESSION_CONFIG } from '../config/config.tokens';
import { checkRouteAccess } from './access-rules';
import { CallerAuthenticator, type Caller } from './caller-authenticator';
import { sendJsonError } from './json-error';
import type { RouteMatch } from './route';
import { RouteTable } from './route-table';
import { UpstreamClient } from './upstream.client';
import { buildUpstreamHeaders } from './upstream-headers';

/**
 * The hot path, as early Express middleware ahead of Nest's pipes and body parsers: match the route, authenticate
 * the caller, check the route's rules, set the identity headers, stream to the upstream and back.
 */
@Injectable()
export class ProxyHandler {
  private readonly logger = new Logger('Proxy');
  private readonly strippedCookies: string[];

  constructor(
    private readonly routes: RouteTable,
    private readonly callers: CallerAuthenticator,
    private readonly upstream: UpstreamClient,
    @Inject(HTTP_CONFIG) private readonly http: HttpConfig,
    @Inject(SESSION_CONFIG) private readonly session: SessionConfig,
    @Inject(PROXY_CONFIG) private readonly proxy: ProxyConfig,
  ) {
    this.strippedCookies = ['bff-login-*', '__Host-bff-login-*'];
  }

  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    const url = request.url;
    if (isAdminRequest(request) || url.startsWith('/auth/') || url === '/auth' || url.startsWith('/auth?')) return next();
    const match = this.routes.match(url);
    if (match === undefined) return next();
    if ('rejected' in match) return sendJsonError(response, 400, 'bad_path', 'The request path is not allowed.');
    response.locals['metricsRoute'] = match.route.path;
    this.handle(request, response, match).catch((error: unknown) => this.fail(response, error));
  };

  private async handle(request: Request, response: Response, match: RouteMatch): Promise<void> {
    const { route } = match;
    let caller: Caller | undefined;
    if (route.auth !== 'none') {
      caller = await this.callers.authenticate(request, route);
      const denied = checkRouteAccess(route, caller.facts);
      if (denied) throw denied;
    }
    const headers = buildUpstreamHeaders(request.headers, {
      identity: caller?.identity,
      sessionCookieName: this.session.cookieName,
      strippedCookies: this.strippedCookies,
      csrfHeader: this.session.csrfHeader,
      claimHeaders: this.proxy.upstreamHeaders,
      clientIp: request.ip ?? request.socket.remoteAddress ?? '',
      proto: this.http.secure ? 'https' : 'http',
      host: request.headers.host ?? new URL(this.http.publicUrl).host,
    });
    await this.upstream.forward(request, response, {
      origin: route.origin,
      path: match.upstreamPath,
      timeoutMs: route.timeoutMs,
      headers,
    });
  }

  private fail(response: Response, error: unknown): void {
    const mapped = toErrorResponse(error);
    if (!mapped) {
      this.logger.error({ err: error }, 'proxy failure');
      sendJsonError(response, 500, 'internal_error', 'Internal server error.');
      return;
    }
    if (mapped.status >= 500 && error instanceof AppError) this.logger.warn({ code: error.code }, 'proxy dependency failure');
    const { error: code, message, ...rest } = mapped.body;
    sendJsonError(response, mapped.status, code, message, mapped.headers, rest);
  }
}
