/** What the upstream receives to continue the trace. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/** The upstream call's client span, started from a request's span. */
export interface UpstreamSpan {
  readonly headers: TraceHeaders;
  /** `outcome` names a failure without a response (timeout, error, client_gone), never a message. */
  end(status: number | undefined, outcome?: string): void;
}

/** A request's server span (span export on). */
export interface RequestSpan {
  /** Runs `work` with this span active, so the spans started inside it (session lookup, refresh, IdP calls) are its children. */
  run<T>(work: () => T): T;
  /** Starts the upstream call's span; its headers carry the trace to the upstream. */
  upstream(origin: string): UpstreamSpan;
  /** `route` is the route path (`http.route`), when the request matched one. */
  end(status: number, route?: string): void;
}
