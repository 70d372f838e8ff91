import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { safeReturnTo } from '../common/return-to';
import type { HttpConfig, OidcConfig } from '../config/app-config';
import { HTTP_CONFIG, OIDC_CONFIG } from '../config/config.tokens';
import { BoundCookie } from '../device-binding/bound-cookie';
import { DeviceBindingService } from '../device-binding/device-binding.service';
import { SessionCookie } from '../session/session-cookie';
import { SessionGate } from '../session/session-gate';
import { RateLimit } from '../throttle/rate-limit.decorator';
import { BackchannelLogoutService } from './backchannel-logout.service';
import { FrontchannelLogoutService } from './frontchannel-logout.service';
import { assertQueryCallbackAllowed } from './callback-response-mode';
import { LOGIN_RETURN_TO, LoginFailureFilter } from './login-failure.filter';
import { LoginService, type LoginAttempt } from './login.service';
import { LogoutService } from './logout.service';
import { withBffError } from './silent-login';
import { toUserInfo, type UserInfo } from './user-info';

@Controller('auth')
export class AuthController {
  constructor(
    private readonly login: LoginService,
    private readonly logoutService: LogoutService,
    private readonly backchannel: BackchannelLogoutService,
    private readonly frontchannel: FrontchannelLogoutService,
    private readonly gate: SessionGate,
    private readonly cookie: SessionCookie,
    private readonly deviceBinding: DeviceBindingService,
    private readonly boundCookie: BoundCookie,
    @Inject(OIDC_CONFIG) private readonly oidc: OidcConfig,
    @Inject(HTTP_CONFIG) private readonly http: HttpConfig,
  ) {}

  @Get('login')
  @RateLimit('login')
  @UseFilters(LoginFailureFilter)
  async startLogin(@Req() request: Request, @Res() response: Response): Promise<void> {
    const query = new URL(request.originalUrl, 'http://login').searchParams;
    response.locals[LOGIN_RETURN_TO] = safeReturnTo(query.get('returnTo') ?? undefined, this.http.publicUrl);
    const { authorizationUrl, cookies } = await this.login.begin(query, request.headers.cookie);
    response.setHeader('set-cookie', cookies);
    noStore(response).redirect(302, authorizationUrl.href);
  }

  @Get('callback')
  @RateLimit('login', 'callback')
  @UseFilters(LoginFailureFilter)
  async callbackQuery(@Req() request: Request, @Res() response: Response): Promise<void> {
    const parameters = new URL(request.originalUrl, 'http://callback').searchParams;
    assertQueryCallbackAllowed(this.oidc.responseMode, parameters);
    await this.finishLogin(parameters, request, response);
  }

  @Post('callback')
  @RateLimit('login', 'callback')
  @UseFilters(LoginFailureFilter)
  async callbackFormPost(@Body() body: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.finishLogin(formParameters(body), request, response);
  }

  @Get('user')
  async user(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<UserInfo> {
    const { session } = await this.gate.enter(request, { antiForgery: 'csrf-header', refresh: false });
    noStore(response);
    const offer = await this.deviceBinding.offerTo(session);
    if (offer) response.setHeader('secure-session-registration', offer);
    return toUserInfo(session);
  }

  @Get('logout')
  async logout(@Query('sid') sid: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    const destination = await this.logoutService.logout(request, sid);
    response.setHeader('set-cookie', this.boundCookie.enabled ? [this.cookie.clear(), this.boundCookie.clear()] : this.cookie.clear());
    noStore(response).redirect(302, destination);
  }

  @Get('frontchannel-logout')
  async frontchannelLogout(@Query('iss') iss: unknown, @Query('sid') sid: unknown, @Res() response: Response): Promise<void> {
    await this.frontchannel.handle(iss, sid);
    // The IdP shows this page in a hidden iframe: it alone may frame it (so no X-Frame-Options: DENY here).
    response.removeHeader('x-frame-options');
    response.setHeader('cross-origin-resource-policy', 'cross-origin');
    response.setHeader('content-security-policy', `default-src 'none'; frame-ancestors ${this.frontchannel.framingOrigin}`);
    noStore(response).status(200).type('html').send(SIGNED_OUT_PAGE);
  }

  @Post('backchannel-logout')
  @HttpCode(200)
  async backchannelLogout(@Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.backchannel.handle(formParameters(body).get('logout_token') ?? undefined);
    noStore(response);
  }

  private async finishLogin(parameters: URLSearchParams, request: Request, response: Response): Promise<void> {
    const forget = this.login.forgetLogin(parameters);
    // Success or failure, this attempt's binding cookie is done with.
    if (forget) response.setHeader('set-cookie', forget);
    const attempt: LoginAttempt = {};
    const outcome = await this.login.complete(parameters, request.headers.cookie, request.headers['user-agent'], attempt).catch((error: unknown) => {
      response.locals[LOGIN_RETURN_TO] = attempt.returnTo;
      throw error;
    });
    if ('silentFailure' in outcome) {
      // prompt=none found no IdP session (or needs the user): the SPA learns it at returnTo, and any session stays.
      response.setHeader('set-cookie', outcome.clearBindingCookie);
      noStore(response).redirect(302, withBffError(outcome.returnTo, outcome.silentFailure));
      return;
    }
    const { sessionId, returnTo, clearBindingCookie } = outcome;
    response.setHeader('set-cookie', [this.cookie.issue(sessionId), clearBindingCookie]);
    // A DBSC browser answers this by registering a device key (src/device-binding/); others ignore it.
    const offer = await this.deviceBinding.offerAtLogin(sessionId, request.headers['sec-fetch-site']);
    if (offer) response.setHeader('secure-session-registration', offer);
    noStore(response).redirect(302, returnTo);
  }
}

const SIGNED_OUT_PAGE = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body>Signed out.</body></html>';

function noStore(response: Response): Response {
  return response.setHeader('cache-control', 'no-store').setHeader('pragma', 'no-cache');
}

/** A urlencoded body as parsed by Express: only string values are OAuth parameters. */
function formParameters(body: unknown): URLSearchParams {
  const parameters = new URLSearchParams();
  if (typeof body !== 'object' || body === null) return parameters;
  for (const [name, value] of Object.entries(body)) if (typeof value === 'string') parameters.set(name, value);
  return parameters;
}
