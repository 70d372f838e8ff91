import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

/**
 * The baseline: the fastest plain Node reverse proxy we know how to write — undici `Pool.stream()` over keep-alive
 * connections, no auth, no logging. Run as its own process: `node bare-proxy.js <port> <upstream origin>`.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'expect']);

const port = Number(process.argv[2] ?? 0);
const upstream = process.argv[3] ?? 'http://127.0.0.1:9';
const pool = new Pool(upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 4_000 });

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const server = createServer((req, res) => {
  const withBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.stream(
    { path: req.url ?? '/', method: req.method ?? 'GET', headers: forwardable(req.headers), body: withBody ? req : null },
    ({ statusCode, headers }) => {
      const out: OutgoingHttpHeaders = {};
      for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
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
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
