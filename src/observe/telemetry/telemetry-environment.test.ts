import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors/index.js';
import { readTelemetryEnvironment } from './telemetry-environment.js';

describe('readTelemetryEnvironment', () => {
  it.each([
    ['nothing set', {}],
    ['blank endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }],
    ['only a metrics endpoint', { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:4318/v1/metrics' }],
    ['the SDK disabled', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' }],
    ['only a protocol', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }],
  ])('is off with %s', (_case, environment) => {
    expect(readTelemetryEnvironment(environment)).toBeUndefined();
  });

  it.each([
    ['http://collector:4318', 'http://collector:4318/v1/traces', 'http://collector:4318/v1/metrics'],
    ['http://collector:4318/', 'http://collector:4318/v1/traces', 'http://collector:4318/v1/metrics'],
    [
      'https://example.test/otlp',
      'https://example.test/otlp/v1/traces',
      'https://example.test/otlp/v1/metrics',
    ],
  ])('appends each signal’s path to the shared endpoint %s', (endpoint, traces, metrics) => {
    const settings = readTelemetryEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    expect(settings?.traces.url).toBe(traces);
    expect(settings?.metrics?.url).toBe(metrics);
  });

  it('uses a signal’s own endpoint as given, and its headers over the shared ones', () => {
    const settings = readTelemetryEnvironment({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom/path',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20shared,x-tenant=a',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=b',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '700',
    });
    expect(settings?.traces).toEqual({
      url: 'http://traces:9999/custom/path',
      headers: { authorization: 'Bearer shared', 'x-tenant': 'b' },
      timeoutMillis: 2500,
    });
    expect(settings?.metrics).toMatchObject({
      url: 'http://collector:4318/v1/metrics',
      headers: { authorization: 'Bearer shared', 'x-tenant': 'a' },
      timeoutMillis: 700,
    });
  });

  it('takes a traces-only endpoint without metrics, and OTEL_METRICS_EXPORTER=none turns metrics off', () => {
    expect(
      readTelemetryEnvironment({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318' }),
    ).toMatchObject({
      traces: { url: 'http://traces:4318/' },
      metrics: undefined,
    });
    const none = readTelemetryEnvironment({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_METRICS_EXPORTER: 'none',
    });
    expect(none?.metrics).toBeUndefined();
  });

  it('names the service from OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then promptune', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(readTelemetryEnvironment(endpoint)?.serviceName).toBe('promptune');
    const fromResource = readTelemetryEnvironment({
      ...endpoint,
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment.name=staging',
    });
    expect(fromResource?.serviceName).toBe('from-resource');
    expect(fromResource?.resourceAttributes['deployment.environment.name']).toBe('staging');
    expect(
      readTelemetryEnvironment({
        ...endpoint,
        OTEL_SERVICE_NAME: 'gateway',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=x',
      })?.serviceName,
    ).toBe('gateway');
  });

  it('reads batching, the metric interval and temporality', () => {
    const settings = readTelemetryEnvironment({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '4096',
      OTEL_METRIC_EXPORT_INTERVAL: '15000',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta',
    });
    expect(settings?.batch).toEqual({
      scheduledDelayMillis: 200,
      maxQueueSize: 4096,
      exportTimeoutMillis: undefined,
      maxExportBatchSize: undefined,
    });
    expect(settings?.metrics).toMatchObject({ intervalMillis: 15000, temporality: 'delta' });
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', 'TELEMETRY_BAD_ENDPOINT'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317', 'TELEMETRY_BAD_ENDPOINT'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', 'soon', 'TELEMETRY_BAD_SETTING'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', '-1', 'TELEMETRY_BAD_SETTING'],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'sometimes', 'TELEMETRY_BAD_SETTING'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'TELEMETRY_UNSUPPORTED_PROTOCOL'],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/protobuf', 'TELEMETRY_UNSUPPORTED_PROTOCOL'],
  ])('rejects %s=%s with a ValidationError naming it', (name, value, code) => {
    const environment = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', [name]: value };
    let thrown: unknown;
    try {
      readTelemetryEnvironment(environment);
    } catch (error) {
      thrown = error;
    }
    expect(ValidationError.isInstance(thrown)).toBe(true);
    expect((thrown as ValidationError).code).toBe(code);
    expect((thrown as ValidationError).message).toContain(name);
    expect((thrown as ValidationError).message).toContain(value);
  });
});
