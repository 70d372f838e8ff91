import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { describeFailure, sendError } from '../common/all-exceptions.filter';
import { loginFailurePage, retryLoginUrl } from './login-failure-page';

/** The same-origin page a failed login started from, set by the handler as soon as it is known. */
export const LOGIN_RETURN_TO = 'loginReturnTo';

/**
 * For /auth/login and /auth/callback, which a browser reaches by a top-level navigation: a failure is answered with a
 * small HTML page (same status) when the request prefers HTML, so a person never lands on raw JSON; scripts and
 * anything else asking for JSON (or anything at all) get the contract's JSON, as everywhere.
 */
@Catch()
export class LoginFailureFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent || request.accepts(['json', 'html']) !== 'html') {
      sendError(response, error, this.logger);
      return;
    }
    const failure = describeFailure(error, this.logger);
    const returnTo: unknown = response.locals[LOGIN_RETURN_TO];
    const page = loginFailurePage(failure, retryLoginUrl(typeof returnTo === 'string' ? returnTo : undefined));
    response
      .status(failure.status)
      .set({ ...failure.headers, 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' })
      .send(page);
  }
}
