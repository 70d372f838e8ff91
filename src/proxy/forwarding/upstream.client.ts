import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { sendJsonError } from '../../common/raw-json-response';
import { classifyUpstreamFailure, errorCode, UPSTREAM_TIMEOUT } from './upstream-failure';
import { UpstreamExchange, type ExchangeEnd, type ExchangeTarget } from './upstream-exchange';

/** Where a proxied call goes, and how its exchange runs (ExchangeTarget). */
export interface ForwardTarget extends ExchangeTarget {
  /** `http(s)://host:port`. */
  origin: string;
  /** The connection budget this call counts against: one pool per route, so stalled calls on one never delay another. */
  budget: ConnectionBudget;
}

export interface ConnectionBudget {
  /** Names the pool (the route's path). */
  name: string;
  /** The route's `max_connections`. */
  connections: number;
}

const POOL_OPTIONS: Pool.Options = {
  pipelining: 1,
  keepAliveTimeout: 4_000,
  connectTimeout: 10_000,
};

const SHUTDOWN_GRACE_MS = 5_000;

/** How an exchange ended, for `bff_upstream_responses_total`: the status class, or how the upstream failed. */
export type UpstreamOutcome = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error' | 'timeout' | 'client_gone' | 'client_timeout';

// How a request ends when its client hung up first: not the upstream's fault, nothing to log.
const CLIENT_GONE = new Set(['AbortError', 'UND_ERR_ABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The one adapter that talks to upstreams: streams both ways, never holds a whole body. */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamClient.name);
  private readonly pools = new Map<string, Pool>();

  /** Streams the request to the target and the answer back; `done` is called once, when the exchange is over. */
  exchange(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, done: (outcome: UpstreamOutcome) => void): void {
    if (res.destroyed) return done('client_gone');
    const exchange = new UpstreamExchange(req, res, target, (end) => done(this.outcome(res, end, target)));
    this.pool(target.origin, target.budget).dispatch(exchange.options(), exchange);
  }

  /** Lets in-flight responses finish for a moment, then cuts what is left (a long event stream would wait forever). */
  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.race([Promise.all(pools.map((pool) => pool.close())), sleep(SHUTDOWN_GRACE_MS, undefined, { ref: false })]);
    await Promise.all(pools.filter((pool) => !pool.destroyed).map((pool) => pool.destroy()));
  }

  private pool(origin: string, budget: ConnectionBudget): Pool {
    const key = `${budget.name} ${origin}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin, { ...POOL_OPTIONS, connections: budget.connections });
      this.pools.set(key, pool);
    }
    return pool;
  }

  private outcome(res: ServerResponse, end: ExchangeEnd, { origin, responseHeaders }: ForwardTarget): UpstreamOutcome {
    if (end.error === null) return statusClass(end.status);
    const code = errorCode(end.error);
    const clientLeft = CLIENT_GONE.has(code) && !end.timedOut;
    if (end.responded || res.headersSent) {
      // Too late for a status: cutting the connection is the only honest signal of a truncated body.
      if (!clientLeft) this.logger.warn(`upstream ${origin} failed mid-response: ${code}`);
      res.destroy();
      if (clientLeft) return end.status > 0 ? statusClass(end.status) : 'client_gone';
      return end.timedOut || BODY_TIMEOUT_CODES.has(code) ? 'timeout' : 'error';
    }
    if (res.destroyed || clientLeft) return 'client_gone'; // nobody left to tell
    if (end.bodyIdle) {
      // The rest of the body may still come: the connection is closed after the answer rather than read on.
      sendJsonError(res, 408, 'request_timeout', 'The request body stopped arriving.', { ...responseHeaders, connection: 'close' });
      return 'client_timeout';
    }
    const failure = end.timedOut ? UPSTREAM_TIMEOUT : classifyUpstreamFailure(end.error);
    this.logger.warn(`upstream ${origin} failed before answering: ${end.timedOut ? 'timeout_ms elapsed' : code}`);
    // timeout_ms may end an upload midway: close after the answer rather than read the rest of it.
    const unread: Record<string, string> = res.req.complete ? {} : { connection: 'close' };
    sendJsonError(res, failure.status, failure.code, failure.message, { ...responseHeaders, ...unread });
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
