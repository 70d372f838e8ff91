import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { OidcConfig } from '../config/app-config';
import { OIDC_CONFIG } from '../config/config.tokens';
import { SessionCookie } from '../session/session-cookie';
import { SessionResolver } from '../session/session.resolver';
import { SessionStore } from '../session/session.store';
import { RateLimit } from '../throttle/rate-limit.decorator';
import { BackchannelLogoutService } from './backchannel-logout.service';
import { assertQueryCallbackAllowed } from './callback-response-mode';
import { LoginService } from './login.service';
import { LogoutService } from './logout.service';
import { toUserInfo, type UserInfo } from './user-info';

@ApiExcludeController()
@Controller('auth')
export class AuthController {
  constructor(
    private readonly login: LoginService,
    private readonly logoutService: LogoutService,
    private readonly backchannel: BackchannelLogoutService,
    private readonly resolver: SessionResolver,
    private readonly sessions: SessionStore,
    private readonly cookie: SessionCookie,
    @Inject(OIDC_CONFIG) private readonly oidc: OidcConfig,
  ) {}

  @Get('login')
  @RateLimit('login')
  async startLogin(@Query('returnTo') returnTo: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    const { authorizationUrl, cookies } = await this.login.begin(returnTo, request.headers.cookie);
    response.setHeader('set-cookie', cookies);
    noStore(response).redirect(302, authorizationUrl.href);
  }

  @Get('callback')
  @RateLimit('login', 'callback')
  async callbackQuery(@Req() request: Request, @Res() response: Response): Promise<void> {
    const parameters = new URL(request.originalUrl, 'http://callback').searchParams;
    assertQueryCallbackAllowed(this.oidc.responseMode, parameters);
    await this.finishLogin(parameters, request, response);
  }

  @Post('callback')
  @RateLimit('login', 'callback')
  async callbackFormPost(@Body() body: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.finishLogin(formParameters(body), request, response);
  }

  @Get('user')
  async user(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<UserInfo> {
    // Without any session cookie the SPA learns "sign in" (401) first; the CSRF rule guards cookie-carrying calls.
    if (!this.cookie.present(request.headers.cookie)) throw this.resolver.failure(request, 'not_authenticated');
    this.resolver.assertCsrfHeader(request);
    const { session } = await this.resolver.resolve(request);
    noStore(response);
    return toUserInfo(session);
  }

  @Get('logout')
  async logout(@Query('sid') sid: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    const destination = await this.logoutService.logout(request, sid);
    response.setHeader('set-cookie', this.cookie.clear());
    noStore(response).redirect(302, destination);
  }

  @Post('backchannel-logout')
  @HttpCode(200)
  async backchannelLogout(@Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.backchannel.handle(formParameters(body).get('logout_token') ?? undefined);
    noStore(response);
  }

  private async finishLogin(parameters: URLSearchParams, request: Request, response: Response): Promise<void> {
    const previous = this.cookie.read(request.headers.cookie);
    const forget = this.login.forgetLogin(parameters);
    // Success or failure, this attempt's binding cookie is done with.
    if (forget) response.setHeader('set-cookie', forget);
    const { sessionId, returnTo, clearBindingCookie } = await this.login.complete(
      parameters,
      request.headers.cookie,
      request.headers['user-agent'],
    );
    // A new id on every login; the browser's previous session, if any, ends here (no fixation).
    if (previous) await this.sessions.destroy(previous).catch(() => false);
    response.setHeader('set-cookie', [this.cookie.issue(sessionId), clearBindingCookie]);
    noStore(response).redirect(302, returnTo);
  }
}

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
