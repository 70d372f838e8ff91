import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

/**
 * The bench's plain Node reverse proxies (the bare proxy and the job floor): the fastest we know how to write —
 * undici `Pool.stream()` over keep-alive connections, no auth, no logging. `adjust` changes what goes upstream and
 * says what to add to the answer.
 */
export interface PlainProxy {
  port: number;
  upstream: string;
  /** Drops or adds request headers on the way up (a fresh object per request); returns headers for the answer. */
  adjust?: (headers: Record<string, string | string[]>, req: IncomingMessage) => OutgoingHttpHeaders;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'expect']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

export function startPlainProxy(options: PlainProxy): void {
  const pool = new Pool(options.upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 4_000 });
  const server = createServer((req, res) => {
    const withBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const headers = forwardable(req.headers);
    const added = options.adjust?.(headers, req);
    pool.stream(
      { path: req.url ?? '/', method: req.method ?? 'GET', headers, body: withBody ? req : null },
      ({ statusCode, headers: answer }) => {
        const out: OutgoingHttpHeaders = { ...added };
        for (const name in answer) if (!HOP_BY_HOP.has(name)) out[name] = answer[name];
        res.writeHead(statusCode, out);
        return res;
      },
      (error) => {
        if (!error) return;
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  server.listen(options.port, '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}
