import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { CENSOR, REDACT_PATHS, redactUrl } from './log-redaction';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function loggerOptions(level: string): Params {
  return {
    pinoHttp: {
      level,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const id = requestIdOf(req);
        res.setHeader('x-request-id', id);
        return id;
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown> }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
          userAgent: req.headers['user-agent'],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      // Why a request failed is logged once, with its cause, by the error filter: the access-log line keeps the status
      // and drops pino-http's stand-in Error ("failed with status code 503") and its stack trace.
      customErrorObject: (_req, res, error, line: Record<string, unknown>) => {
        const rest = { ...line };
        delete rest['err'];
        return error.message === `failed with status code ${res.statusCode}` ? rest : { ...rest, reason: error.message };
      },
      quietReqLogger: true,
    },
  };
}

/** The client's `X-Request-Id` when it looks like one (no log injection), else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
