import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';

export interface EchoedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** The default route's answer: what arrived, with the body described rather than echoed. */
export interface EchoBody {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
}

export interface EchoUpstream {
  url: string;
  /** The most recent requests, oldest first (at most 100). */
  requests: EchoedRequest[];
  stop(): Promise<void>;
}

const LOG_SIZE = 100;
const DOWNLOAD_CHUNK = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789\n');

export async function startEchoUpstream(port = 0): Promise<EchoUpstream> {
  const requests: EchoedRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    if (requests.length > LOG_SIZE) requests.shift();
    route(req, res).catch(() => res.destroy());
  });
  const boundPort = await listenOnLoopback(server, port);
  return { url: `http://127.0.0.1:${boundPort}`, requests, stop: () => closeServer(server) };
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://upstream');
  const ms = Number(url.searchParams.get('ms') ?? 0);
  const status = /^\/status\/(\d{3})$/.exec(url.pathname)?.[1];
  if (status) {
    req.resume();
    return sendJson(res, Number(status), { upstream: true, status: Number(status) });
  }
  switch (url.pathname) {
    case '/slow-headers':
      await sleep(ms);
      return sendJson(res, 200, await describe(req, url));
    case '/slow-body': {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const body = await describe(req, url);
      await sleep(ms);
      res.end(JSON.stringify(body));
      return;
    }
    case '/download':
      req.resume();
      return download(res, Number(url.searchParams.get('bytes') ?? 0));
    case '/sse':
      req.resume();
      return serverSentEvents(res, Number(url.searchParams.get('events') ?? 3), Number(url.searchParams.get('intervalMs') ?? 10));
    case '/reset':
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('partial body, then the connection drops');
      setImmediate(() => res.socket?.destroy());
      return;
    default:
      return sendJson(res, 200, await describe(req, url));
  }
}

/** Hashes the body as it streams in: large uploads never sit in memory. */
async function describe(req: IncomingMessage, url: URL): Promise<EchoBody> {
  const hash = createHash('sha256');
  let bodyBytes = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    bodyBytes += buffer.length;
    hash.update(buffer);
  }
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    bodyBytes,
    bodySha256: hash.digest('hex'),
  };
}

async function download(res: ServerResponse, bytes: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  let remaining = bytes;
  while (remaining > 0 && !res.destroyed) {
    const chunk = DOWNLOAD_CHUNK.subarray(0, Math.min(remaining, DOWNLOAD_CHUNK.length));
    remaining -= chunk.length;
    if (!res.write(chunk)) await drainedOrClosed(res);
  }
  res.end();
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function serverSentEvents(res: ServerResponse, events: number, intervalMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let closed = false;
  res.once('close', () => (closed = true));
  for (let id = 1; id <= events && !closed; id += 1) {
    await sleep(intervalMs);
    res.write(`id: ${id}\nevent: tick\ndata: ${JSON.stringify({ n: id, at: Date.now() })}\n\n`);
  }
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
