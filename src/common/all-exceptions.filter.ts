import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { toErrorResponse, type ErrorResponse } from './error-body';

/** The one place where errors become HTTP: the contract's JSON shape, and unknown causes logged but never echoed. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    sendError(response, error, this.logger);
  }
}

/** The JSON error for anything thrown (logged as `describeFailure` does). */
export function sendError(response: Response, error: unknown, logger: Logger): void {
  const { status, headers, body } = describeFailure(error, logger);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  // Refused before its body was read (413): close rather than drain the rest of it off the wire.
  if (hasUnreadBody(response.req)) response.setHeader('connection', 'close');
  response.status(status).set({ ...headers, 'cache-control': 'no-store' }).json(body);
}

/** Maps anything thrown to the contract's status and body, logging what the client is not told (5xx, unknown causes). */
export function describeFailure(error: unknown, logger: Logger): ErrorResponse {
  const mapped = toErrorResponse(error);
  if (!mapped) logger.error({ err: error }, 'unhandled error');
  else if (mapped.status >= 500) logger.warn({ code: mapped.body.error, cause: causeOf(error) }, 'request failed');
  return mapped ?? { status: 500, headers: {}, body: { error: 'internal_error', message: 'Internal server error.' } };
}

function hasUnreadBody(request: Response['req']): boolean {
  const { headers } = request;
  return !request.complete && (headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0);
}

function causeOf(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : undefined;
}
