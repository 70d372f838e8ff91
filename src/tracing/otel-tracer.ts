import type { IncomingMessage } from 'node:http';
import { context, ROOT_CONTEXT, type Attributes, SpanKind, SpanStatusCode, trace, type Context, type Span, type SpanContext, type TextMapGetter, type TextMapSetter, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../config/app-config';
import { samplerOf } from './otel-sampler';
import type { RequestSpan, TraceHeaders, UpstreamSpan } from './request-span';
import { formatTraceparent, newSpanId, validTracestate } from './trace-context';
import type { IdpFetch, SpanExport } from './tracing';

const headerGetter: TextMapGetter<IncomingMessage['headers']> = {
  keys: (headers) => Object.keys(headers),
  // The propagator would keep a malformed tracestate's valid members: the contract drops the whole of it.
  get: (headers, key) => (key === 'tracestate' ? validTracestate(headers.tracestate) : headers[key]),
};

const headersSetter: TextMapSetter<Headers> = { set: (carrier, key, value) => carrier.set(key, value) };

/** The OpenTelemetry SDK, set up from the OTEL_* settings: W3C trace context, OTLP/HTTP export in batches. */
export function startSpanExport(config: TracingConfig): SpanExport {
  // The one process-wide piece: a context manager, so spans started across awaits find their parent.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporterConfig = { ...config.exporter, compression: config.exporter.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE };
  const exporter = config.protocol === 'http/json' ? new JsonExporter(exporterConfig) : new ProtobufExporter(exporterConfig);
  const provider = new TracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ ...config.resourceAttributes, 'service.name': config.serviceName })),
    sampler: samplerOf(config.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...config.batch })],
  });
  return new OtelSpanExport(provider, provider.getTracer('bff'), new W3CTraceContextPropagator());
}

class OtelSpanExport implements SpanExport {
  /** Per upstream origin, parsed once: the upstream span's address attributes. */
  private readonly upstreamAttributes = new UpstreamAttributes();

  constructor(
    private readonly provider: TracerProvider,
    private readonly tracer: Tracer,
    private readonly propagator: W3CTraceContextPropagator,
  ) {}

  request(request: IncomingMessage, listener: 'browser' | 'admin'): RequestSpan {
    const parent = request.headers.traceparent === undefined ? ROOT_CONTEXT : this.propagator.extract(ROOT_CONTEXT, request.headers, headerGetter);
    const method = request.method ?? 'GET';
    // Attributes after the sampling decision: the SDK cleans start attributes even for a span it will not record.
    const span = this.tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) span.setAttributes({ 'http.request.method': method, 'bff.listener': listener });
    return new OtelRequestSpan(this.tracer, this.upstreamAttributes, span, trace.setSpan(parent, span), method);
  }

  span<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.tracer.startActiveSpan(name, (span) => settle(span, work));
  }

  idpFetch(nameOf: (url: URL) => string): IdpFetch {
    return (url, options) => {
      const target = new URL(url);
      const method = options.method ?? 'GET';
      const attributes = { 'http.request.method': method, 'server.address': target.hostname, 'url.path': target.pathname };
      return this.tracer.startActiveSpan(`idp ${nameOf(target)}`, { kind: SpanKind.CLIENT, attributes }, (span) =>
        settle(span, async () => {
          const headers = new Headers(options.headers);
          this.propagator.inject(context.active(), headers, headersSetter);
          const response = await fetch(url, { ...options, headers });
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          return response;
        }),
      );
    };
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

class UpstreamAttributes {
  private readonly byOrigin = new Map<string, Attributes>();

  of(origin: string, method: string): Attributes {
    let address = this.byOrigin.get(origin);
    if (!address) {
      const { hostname, port, protocol } = new URL(origin);
      address = { 'server.address': hostname, 'server.port': Number(port || (protocol === 'https:' ? 443 : 80)) };
      this.byOrigin.set(origin, address);
    }
    return { ...address, 'http.request.method': method };
  }
}

class OtelRequestSpan implements RequestSpan {
  constructor(
    private readonly tracer: Tracer,
    private readonly upstreamAttributes: UpstreamAttributes,
    private readonly span: Span,
    private readonly active: Context,
    private readonly method: string,
  ) {}

  run<T>(work: () => T): T {
    return context.with(this.active, work);
  }

  upstream(origin: string): UpstreamSpan {
    // A trace the sampler left out records nothing below it either: the upstream continues it under a fresh id.
    if (!this.span.isRecording()) return { headers: traceHeaders(this.span.spanContext(), newSpanId()), end: ignoreEnd };
    const span = this.tracer.startSpan(`upstream ${this.method}`, { kind: SpanKind.CLIENT }, this.active);
    span.setAttributes(this.upstreamAttributes.of(origin, this.method));
    const headers = traceHeaders(span.spanContext(), span.spanContext().spanId);
    return {
      headers,
      end: (status, outcome) => {
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        if (outcome !== undefined) span.setAttribute('error.type', outcome);
        if (outcome !== undefined || (status !== undefined && status >= 500)) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  }

  end(status: number, route?: string): void {
    const { span } = this;
    if (!span.isRecording()) return;
    span.setAttribute('http.response.status_code', status);
    if (route !== undefined) {
      span.setAttribute('http.route', route);
      span.updateName(`${this.method} ${route}`);
    }
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}

/** What W3CTraceContextPropagator.inject writes, without a context and a setter per request. */
function traceHeaders({ traceId, traceFlags, traceState }: SpanContext, parentId: string): TraceHeaders {
  const headers: TraceHeaders = { traceparent: formatTraceparent(traceId, parentId, traceFlags.toString(16).padStart(2, '0')) };
  const state = traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}

function ignoreEnd(): void {}

/** Ends the span with the work; a failure is named by its class or code, never its message (it may quote a secret). */
async function settle<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error: unknown) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', errorType(error));
    throw error;
  } finally {
    span.end();
  }
}

function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[\w.-]{1,64}$/.test(code)) return code;
    return error.constructor.name;
  }
  return typeof error;
}
