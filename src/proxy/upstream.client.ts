import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { sendJsonError } from './json-error';
import { classifyUpstreamFailure, errorCode, UPSTREAM_TIMEOUT } from './upstream-failure';
import { filterResponseHeaders, type UpstreamHeaders } from './upstream-headers';

export interface ForwardTarget {
  /** `http(s)://host:port`, one pool each. */
  origin: string;
  /** Path and query, already normalised. */
  path: string;
  /** Until the response headers arrive, and then the longest silence allowed between body chunks. */
  timeoutMs: number;
  headers: UpstreamHeaders;
}

const POOL_OPTIONS: Pool.Options = {
  connections: 128,
  pipelining: 1,
  keepAliveTimeout: 4_000,
  connectTimeout: 10_000,
};

const SHUTDOWN_GRACE_MS = 5_000;

/** How an exchange ended, for `bff_upstream_responses_total`: the status class, or how the upstream failed. */
export type UpstreamOutcome = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error' | 'timeout' | 'client_gone';

// How a request ends when its client hung up first: not the upstream's fault, nothing to log.
const CLIENT_GONE = new Set(['AbortError', 'UND_ERR_ABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The one adapter that talks to upstreams: streams both ways, never holds a whole body. */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamClient.name);
  private readonly pools = new Map<string, Pool>();

  async forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): Promise<UpstreamOutcome> {
    if (res.destroyed) return 'client_gone';
    let status = 0;
    const abort = new AbortController();
    const withBody = hasBody(req.headers);
    let responded = false;
    let deadline: NodeJS.Timeout | undefined;
    // timeout_ms counts from the moment the whole request is out (connecting and queueing included), so that a
    // slow upload is not cut short; undici's own headersTimeout backs it up per socket.
    const startDeadline = () => {
      if (!responded) deadline = setTimeout(() => abort.abort(UPSTREAM_TIMEOUT), target.timeoutMs);
    };
    const onClientGone = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClientGone);
    if (withBody && !req.readableEnded) req.once('end', startDeadline);
    else startDeadline();
    try {
      await this.pool(target.origin).stream(
        {
          path: target.path,
          method: req.method ?? 'GET',
          headers: target.headers,
          body: withBody ? detachableBody(req) : null,
          signal: abort.signal,
          headersTimeout: target.timeoutMs,
          bodyTimeout: target.timeoutMs,
        },
        ({ statusCode, headers }) => {
          responded = true;
          status = statusCode;
          clearTimeout(deadline);
          res.writeHead(statusCode, filterResponseHeaders(headers));
          // Server-sent events must reach the browser before the first event does.
          if (isEventStream(headers)) res.flushHeaders();
          return res;
        },
      );
      return statusClass(status);
    } catch (error: unknown) {
      return this.fail(res, error, { responded, status, origin: target.origin, timedOut: abort.signal.reason === UPSTREAM_TIMEOUT });
    } finally {
      // An upstream may answer (or fail) before reading the whole upload: drain the rest, so the client sees the
      // answer rather than a reset mid-send, and the connection stays usable.
      if (withBody && !req.readableEnded && !req.destroyed) req.unpipe().resume();
      clearTimeout(deadline);
      req.off('end', startDeadline);
      res.off('close', onClientGone);
    }
  }

  /** Lets in-flight responses finish for a moment, then cuts what is left (a long event stream would wait forever). */
  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.race([Promise.all(pools.map((pool) => pool.close())), sleep(SHUTDOWN_GRACE_MS, undefined, { ref: false })]);
    await Promise.all(pools.filter((pool) => !pool.destroyed).map((pool) => pool.destroy()));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, POOL_OPTIONS);
      this.pools.set(origin, pool);
    }
    return pool;
  }

  private fail(
    res: ServerResponse,
    error: unknown,
    at: { responded: boolean; status: number; origin: string; timedOut: boolean },
  ): UpstreamOutcome {
    const code = errorCode(error);
    const clientLeft = CLIENT_GONE.has(code) && !at.timedOut;
    if (at.responded || res.headersSent) {
      // Too late for a status: cutting the connection is the only honest signal of a truncated body.
      if (!clientLeft) this.logger.warn(`upstream ${at.origin} failed mid-response: ${code}`);
      res.destroy();
      if (clientLeft) return at.status > 0 ? statusClass(at.status) : 'client_gone';
      return at.timedOut || BODY_TIMEOUT_CODES.has(code) ? 'timeout' : 'error';
    }
    if (res.destroyed || clientLeft) return 'client_gone'; // nobody left to tell
    const failure = at.timedOut ? UPSTREAM_TIMEOUT : classifyUpstreamFailure(error);
    this.logger.warn(`upstream ${at.origin} failed before answering: ${at.timedOut ? 'timeout_ms elapsed' : code}`);
    sendJsonError(res, failure.status, failure.code, failure.message);
    return failure === UPSTREAM_TIMEOUT ? 'timeout' : 'error';
  }
}

// A body that falls silent for longer than timeout_ms (undici's bodyTimeout) is a timeout, not a broken upstream.
const BODY_TIMEOUT_CODES = new Set(['UND_ERR_BODY_TIMEOUT']);

function statusClass(status: number): UpstreamOutcome {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return status >= 200 ? '2xx' : '1xx';
}

/** undici destroys the body of a failed request; this go-between keeps it from taking the client's socket along. */
function detachableBody(req: IncomingMessage): PassThrough {
  const body = new PassThrough();
  req.once('error', (error) => body.destroy(error));
  return req.pipe(body);
}

/** RFC 9112 §6.3: a request has a body only when it says so. */
function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

function isEventStream(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream');
}
