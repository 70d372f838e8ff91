import { loadAppConfig } from './app-config';
import { MINIMAL_ENV as valid, problemsOf as problems } from '../../test/support/config-env';

function tracing(env: Record<string, string>) {
  const result = loadAppConfig({ ...valid, ...env });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config.tracing;
}

describe('OpenTelemetry settings (OTEL_*)', () => {
  it('exports nothing unless an OTLP endpoint is set', () => {
    expect(tracing({})).toMatchObject({ enabled: false, serviceName: 'bff', protocol: 'http/protobuf' });
  });

  it('sends to <endpoint>/v1/traces over protobuf by default, or the traces endpoint as given', () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({ enabled: true, exporter: { url: 'http://collector:4318/v1/traces' } });
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' }).exporter.url).toBe('http://b:4318/custom');
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol).toBe('http/json');
  });

  it('stays off when OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none says so', () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
  });

  it('reads headers, resource attributes, the service name, the sampler and the batch settings', () => {
    const sut = tracing({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s%3Dcret, x-team=edge',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=ignored',
      OTEL_SERVICE_NAME: 'edge-bff',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    expect(sut).toMatchObject({
      serviceName: 'edge-bff',
      resourceAttributes: { 'deployment.environment': 'prod' },
      exporter: { headers: { 'api-key': 's=cret', 'x-team': 'edge' } },
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
      batch: { scheduledDelayMillis: 200 },
    });
    expect(tracing({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes' }).serviceName).toBe('from-attributes');
  });

  it('refuses grpc, an unknown sampler and malformed headers, without repeating a header value', () => {
    const result = loadAppConfig({
      ...valid,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key-without-value-s3cr3t',
    });
    expect(problems(result)).toEqual([
      'OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json (grpc is not supported)',
      'OTEL_EXPORTER_OTLP_HEADERS: must be key=value pairs separated by commas',
      expect.stringMatching(/^OTEL_TRACES_SAMPLER: must be one of always_on, /),
    ]);
    expect(problems(result).join('\n')).not.toContain('s3cr3t');
  });
});
