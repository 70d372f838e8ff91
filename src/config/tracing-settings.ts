import type { Env } from './env.schema';

/** `a=1, b=x%20y` → { a: '1', b: 'x y' } (values are percent-decoded, as the specification says). */
function pairs(value: string | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const pair of value?.split(',') ?? []) {
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const key = pair.slice(0, separator).trim();
    const raw = pair.slice(separator + 1).trim();
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // Not percent-encoded after all: keep it as written.
    }
    record[key] = decoded;
  }
  return record;
}

/** Span export is on when an OTLP endpoint is set, unless OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none says otherwise. */
export function tracingSettings(env: Env) {
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT && `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`);
  const resourceAttributes = pairs(env.OTEL_RESOURCE_ATTRIBUTES);
  return {
    enabled: tracesUrl !== undefined && !env.OTEL_SDK_DISABLED && env.OTEL_TRACES_EXPORTER === 'otlp',
    serviceName: env.OTEL_SERVICE_NAME ?? resourceAttributes['service.name'] ?? 'bff',
    resourceAttributes,
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    exporter: {
      url: tracesUrl ?? '',
      headers: { ...pairs(env.OTEL_EXPORTER_OTLP_HEADERS), ...pairs(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
      timeoutMillis: env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
      compression: env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION ?? env.OTEL_EXPORTER_OTLP_COMPRESSION ?? 'none',
    },
    sampler: { name: env.OTEL_TRACES_SAMPLER, ratio: env.OTEL_TRACES_SAMPLER_ARG ?? 1 },
    batch: {
      scheduledDelayMillis: env.OTEL_BSP_SCHEDULE_DELAY ?? 5000,
      exportTimeoutMillis: env.OTEL_BSP_EXPORT_TIMEOUT ?? 30_000,
      maxQueueSize: env.OTEL_BSP_MAX_QUEUE_SIZE ?? 2048,
      maxExportBatchSize: Math.min(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? 512, env.OTEL_BSP_MAX_QUEUE_SIZE ?? 2048),
    },
  };
}
