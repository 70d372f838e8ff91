import { randomUUID } from 'node:crypto';
import { startPlainProxy } from './plain-proxy';

/**
 * The job floor: the bare proxy doing, from constants, what any BFF must do to a request — the session cookie and the
 * CSRF header removed; a bearer token of the real token's size, the identity headers the BFF sent for the signed-in
 * user, `X-Forwarded-*` and a fresh request id added; the request id, `nosniff` and `no-store` on the way back.
 * What it leaves out (finding the session, checking the route's rules) is the BFF's own overhead.
 * Run as its own process: `node floor-proxy.js <port> <upstream origin> <JSON of the constant headers>`.
 */
const constant = JSON.parse(process.argv[4] ?? '{}') as Record<string, string>;

startPlainProxy({
  port: Number(process.argv[2] ?? 0),
  upstream: process.argv[3] ?? 'http://127.0.0.1:9',
  adjust: (headers, req) => {
    delete headers['cookie'];
    delete headers['x-csrf'];
    Object.assign(headers, constant);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    const requestId = randomUUID();
    headers['x-request-id'] = requestId;
    return { 'x-request-id': requestId, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };
  },
});
