import type { OnApplicationShutdown } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { TracingConfig } from '../config/app-config';
import { TRACING_CONFIG } from '../config/config.tokens';
import type { RequestSpan } from './request-span';

/** A fetch as openid-client and jose call it. */
export type IdpFetch = (url: string, options: RequestInit) => Promise<Response>;

/** What the OpenTelemetry SDK does when span export is on (otel-tracer.ts, loaded only then). */
export interface SpanExport {
  request(request: IncomingMessage, listener: 'browser' | 'admin'): RequestSpan;
  span<T>(name: string, work: () => Promise<T>): Promise<T>;
  idpFetch(nameOf: (url: URL) => string): IdpFetch;
  shutdown(): Promise<void>;
}

/**
 * Spans for the BFF's own work, exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set. Unset, the SDK is not
 * even loaded: `request` answers undefined and `span` runs its work as it is (trace context is still continued to
 * upstreams, by ForwardingRules).
 */
export class Tracing implements OnApplicationShutdown {
  private constructor(private readonly exporting: SpanExport | undefined) {}

  static async start(config: TracingConfig): Promise<Tracing> {
    if (!config.enabled) return Tracing.off();
    const { startSpanExport } = await import('./otel-tracer.js');
    return new Tracing(startSpanExport(config));
  }

  /** Export off: for the app without OTEL_EXPORTER_OTLP_ENDPOINT, and for classes built outside Nest (unit specs). */
  /** Export off: the app without an OTLP endpoint, and classes built outside Nest (unit specs). */
  static off(): Tracing {
    return new Tracing(undefined);
  }

  get enabled(): boolean {
    return this.exporting !== undefined;
  }

  /** The request's server span, or undefined when export is off. */
  request(request: IncomingMessage, listener: 'browser' | 'admin'): RequestSpan | undefined {
    return this.exporting?.request(request, listener);
  }

  /** `work` inside a child span of the active one (export on), or just `work` (off). */
  span<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.exporting ? this.exporting.span(name, work) : work();
  }

  /** A fetch that records each IdP call as a client span named by `nameOf`; undefined (use the default) when off. */
  idpFetch(nameOf: (url: URL) => string): IdpFetch | undefined {
    return this.exporting?.idpFetch(nameOf);
  }

  /** Flushes the spans not yet exported. */
  async onApplicationShutdown(): Promise<void> {
    await this.exporting?.shutdown();
  }
}

export const TRACING_PROVIDER = {
  provide: Tracing,
  useFactory: (config: TracingConfig) => Tracing.start(config),
  inject: [TRACING_CONFIG],
};

