import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { errors, type Dispatcher } from 'undici';
import { RequestBodyIdle, watchBodyIdle } from './request-body-idle';
import { filterResponseHeaders, type UpstreamHeaders } from './upstream-headers';
import type { OwnCookies } from './upstream-set-cookie';

export interface ExchangeTarget {
  path: string;
  /** From the moment the request arrives (its body included) until the response headers, then between body chunks. */
  timeoutMs: number;
  headers: UpstreamHeaders;
  /** Cookies an upstream's `Set-Cookie` may not touch. */
  ownCookies?: OwnCookies;
  /** Added to the client's response unless the upstream sent them (the request id). */
  responseHeaders?: Readonly<Record<string, string>>;
  /** Sees the upstream's 401 first; true when it answered the client itself (the upstream's body is then dropped). */
  answerUnauthorized?: (headers: IncomingHttpHeaders) => boolean;
  /** Sees every response head of a DPoP call first; true when the request is sent again (this answer is dropped). */
  retriedOn?: (status: number, headers: IncomingHttpHeaders) => boolean;
}

/** How an exchange ended, for the caller to turn into an answer (or a cut connection) and a metric. */
export interface ExchangeEnd {
  /** null when the upstream's response went through whole. */
  error: Error | null;
  /** The response head was sent to the client. */
  responded: boolean;
  status: number;
  /** timeout_ms elapsed before the response head arrived. */
  timedOut: boolean;
  /** The client's body fell silent (408). */
  bodyIdle: boolean;
}

/** timeout_ms elapsed: the exchange is aborted with this reason. */
class UpstreamDeadline extends Error {
  readonly code = 'BFF_UPSTREAM_DEADLINE';
}

/**
 * One proxied exchange as an undici dispatch handler: the upstream's response streams straight into the client's,
 * with backpressure both ways. Lower-level than `Pool.stream()` — no promise, AbortSignal or async resource per
 * request — because this runs for every proxied call.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  readonly body: PassThrough | null;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private responded = false;
  /** The upstream's answer was replaced by the BFF's own (answerUnauthorized). */
  private replaced = false;
  private status = 0;
  private timedOut = false;
  private bodyIdle = false;
  private settled = false;
  private readonly stopWatchingBody: (() => void) | undefined;
  /** Set only when the client reads slower than the upstream sends. */
  private onDrain: (() => void) | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: ExchangeTarget,
    private readonly done: (end: ExchangeEnd) => void,
  ) {
    this.body = hasBody(req.headers) ? detachableBody(req) : null;
    res.once('close', this.onClientClose);
    // timeout_ms is the whole exchange, the upload included: a trickled body cannot hold a connection for longer.
    this.deadline = setTimeout(deadlineElapsed, target.timeoutMs, this);
    if (this.body) this.stopWatchingBody = watchBodyIdle(req, () => this.onBodyIdle());
  }

  /** The dispatch options of this exchange. */
  options(): Dispatcher.DispatchOptions {
    const { target } = this;
    return {
      path: target.path,
      method: this.req.method ?? 'GET',
      headers: target.headers,
      body: this.body,
      headersTimeout: target.timeoutMs,
      bodyTimeout: target.timeoutMs,
    };
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200 || this.settled) return;
    this.responded = true;
    this.status = statusCode;
    clearTimeout(this.deadline);
    if (this.target.retriedOn?.(statusCode, headers) || (statusCode === 401 && this.target.answerUnauthorized?.(headers))) {
      this.replaced = true;
      return;
    }
    const out = filterResponseHeaders(headers, this.target.ownCookies);
    const extra = this.target.responseHeaders;
    if (extra) for (const name in extra) out[name] ??= extra[name];
    // One object, no setHeader() before it: writeHead() then skips re-validating every header one by one.
    this.res.writeHead(statusCode, out);
    // Server-sent events must reach the browser before the first event does.
    if (isEventStream(headers)) this.res.flushHeaders();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.replaced) return;
    if (this.res.write(chunk) || controller.paused) return;
    controller.pause();
    this.onDrain ??= () => this.controller?.resume();
    this.res.once('drain', this.onDrain);
  }

  onResponseEnd(): void {
    if (!this.replaced) this.res.end();
    this.settle(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle(error);
  }

  /** timeout_ms elapsed before the response head arrived. */
  onDeadline(): void {
    this.timedOut = true;
    this.abort(new UpstreamDeadline('timeout_ms elapsed'));
  }

  private onBodyIdle(): void {
    this.bodyIdle = true;
    this.abort(new RequestBodyIdle('the request body fell silent'));
  }

  private readonly onClientClose = (): void => {
    if (!this.res.writableFinished) this.abort(new errors.RequestAbortedError());
  };


  /** Not yet on a connection (queued or connecting): settle now, and abort the request once undici starts it. */
  private abort(reason: Error): void {
    if (this.controller) {
      this.controller.abort(reason);
      return;
    }
    this.abortReason = reason;
    this.settle(reason);
  }

  private settle(error: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadline);
    this.stopWatchingBody?.();
    this.res.off('close', this.onClientClose);
    if (this.onDrain) this.res.off('drain', this.onDrain);
    if (this.body) {
      if (error) this.body.destroy();
      // An upstream may answer (or fail) before reading the whole upload: drain the rest, so the client sees the
      // answer rather than a reset mid-send, and the connection stays usable.
      if (!this.req.readableEnded && !this.req.destroyed) this.req.unpipe().resume();
    }
    this.done({ error, responded: this.responded, status: this.status, timedOut: this.timedOut, bodyIdle: this.bodyIdle });
  }
}

function deadlineElapsed(exchange: UpstreamExchange): void {
  exchange.onDeadline();
}

/** undici destroys the body of a failed request; this go-between keeps it from taking the client's socket along. */
function detachableBody(req: IncomingMessage): PassThrough {
  const body = new PassThrough();
  req.once('error', (error) => body.destroy(error));
  return req.pipe(body);
}

/** RFC 9112 §6.3: a request has a body only when it says so. */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

function isEventStream(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream');
}
