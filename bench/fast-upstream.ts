import { createServer } from 'node:http';

/**
 * The benchmark's upstream: a fixed small JSON answer, as cheap as Node can make it, so that the proxies and not the
 * upstream set the pace. `/__headers` answers with the request's headers instead (what a proxy sends upstream).
 * Run as its own process: `node fast-upstream.js <port>`.
 */
const body = Buffer.from(JSON.stringify({ id: 42, name: 'order', status: 'shipped', items: [1, 2, 3], total: 99.5 }));
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

const port = Number(process.argv[2] ?? 0);
const server = createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') req.resume();
  if (req.url === '/__headers') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
    return;
  }
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
