import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const SECRET_QUERY_PARAMS = /^(code|state|sid|session_state|id_token_hint|token|logout_token|access_token|refresh_token|id_token)$/i;

// Anything named like a credential is censored wherever it appears in a logged object (pino `redact` paths).
const secretKeys = ['authorization', 'cookie', 'set-cookie', 'token', 'access_token', 'refresh_token', 'id_token',
  'accessToken', 'refreshToken', 'idToken', 'secret', 'client_secret', 'clientSecret', 'password', 'logout_token',
  'x-api-key', 'proxy-authorization'];
const redactPaths = secretKeys.flatMap((key) => [accessor('', key).replace(/^\./, ''), accessor('*', key), accessor('*.*', key)]);

export function loggerOptions(level: string): Params {
  return {
    pinoHttp: {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
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
      quietReqLogger: true,
    },
  };
}

/** The client's `X-Request-Id` when it looks like one (no log injection), else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Query values that are credentials or single-use secrets (code, state, sid, tokens) never reach a log line. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const key of [...params.keys()]) if (SECRET_QUERY_PARAMS.test(key)) params.set(key, '[redacted]');
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}

function accessor(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}["${key}"]`;
}
