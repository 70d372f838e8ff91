import { z } from 'zod';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
const positiveInt = z.coerce.number().int('must be a whole number').positive('must be positive');
const protocol = z.enum(['http/protobuf', 'http/json'], { error: 'must be http/protobuf or http/json (grpc is not supported)' });
const compression = z.enum(['gzip', 'none'], { error: 'must be gzip or none' });
// `key=value` pairs separated by commas (W3C Baggage form); the message never repeats a value (headers hold API keys).
const keyValuePairs = z.string().regex(/^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*\s*$/, 'must be key=value pairs separated by commas');
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/** The standard OpenTelemetry variables the BFF reads (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). */
export const otelEnv = {
  OTEL_SDK_DISABLED: z.stringbool({ error: 'must be true or false' }).default(false),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { error: 'must be otlp or none' }).default('otlp'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(httpUrl),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(httpUrl),
  OTEL_EXPORTER_OTLP_PROTOCOL: optional(protocol),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optional(protocol),
  OTEL_EXPORTER_OTLP_HEADERS: optional(keyValuePairs),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: optional(keyValuePairs),
  OTEL_EXPORTER_OTLP_TIMEOUT: optional(positiveInt),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: optional(positiveInt),
  OTEL_EXPORTER_OTLP_COMPRESSION: optional(compression),
  OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: optional(compression),
  OTEL_SERVICE_NAME: optional(z.string()),
  OTEL_RESOURCE_ATTRIBUTES: optional(keyValuePairs),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS, { error: `must be one of ${SAMPLERS.join(', ')}` }).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: optional(z.coerce.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1')),
  OTEL_BSP_SCHEDULE_DELAY: optional(positiveInt),
  OTEL_BSP_EXPORT_TIMEOUT: optional(positiveInt),
  OTEL_BSP_MAX_QUEUE_SIZE: optional(positiveInt),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: optional(positiveInt),
};

type OtelEnv = z.infer<z.ZodObject<typeof otelEnv>>;

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
export function tracingSettings(env: OtelEnv) {
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
