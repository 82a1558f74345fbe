import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { DataPointType, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import * as stable from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { describe, expect, it } from 'vitest';
import { genAiAttribute, genAiMetric, stableAttribute } from './_semantic-conventions.js';
import type { GenerationRecord, RequestRecord } from './records.js';
import { Telemetry } from './telemetry.js';

/** A reader the test collects from on demand (no timer, no exporter). */
class CollectingReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';
const start = Date.UTC(2026, 0, 2, 3, 4, 5) + 0.25;

const request: RequestRecord = {
  method: 'POST',
  route: '/v1/chat/completions',
  path: '/v1/chat/completions',
  status: 200,
  requestId: 'request-1',
  startTime: start,
  endTime: start + 120.5,
  traceparent: `00-${traceId}-${callerSpanId}-01`,
  tracestate: 'vendor=value',
};

const generation: GenerationRecord = {
  operation: 'chat',
  provider: 'promptune',
  requestModel: 'sentiment@production',
  responseModel: 'sentiment@3',
  responseId: 'chatcmpl-1',
  task: 'sentiment',
  version: '3',
  label: 'production',
  request: { maxTokens: 64, temperature: 0.7, topP: 0.9, seed: 42 },
  inputTokens: 17,
  outputTokens: 5,
  finishReasons: ['stop'],
  startTime: start + 2,
  endTime: start + 110,
};

function inMemory(options: { metrics?: boolean } = {}) {
  const exporter = new InMemorySpanExporter();
  const reader = options.metrics ? new CollectingReader() : undefined;
  const errors: Error[] = [];
  const telemetry = new Telemetry({
    spanExporter: exporter,
    metricReader: reader,
    batch: false,
    serviceName: 'promptune-test',
    onError: (error) => errors.push(error),
  });
  return { telemetry, exporter, reader, errors };
}

function spanNamed(spans: ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((candidate) => candidate.name === name);
  if (!span) throw new Error(`no span named ${name} among ${spans.map((each) => each.name).join(', ')}`);
  return span;
}

async function histogram(reader: CollectingReader, name: string): Promise<HistogramMetricData> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
  if (!metric || metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`no histogram ${name}`);
  return metric;
}

describe('Telemetry spans', () => {
  it('records a SERVER span with a CLIENT child carrying every GenAI attribute, in the caller’s trace', async () => {
    const { telemetry, exporter, errors } = inMemory();
    telemetry.record(request, generation);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    const server = spanNamed(spans, 'POST /v1/chat/completions');
    const client = spanNamed(spans, 'chat sentiment@production');

    expect(server.kind).toBe(SpanKind.SERVER);
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(server.spanContext().traceId).toBe(traceId);
    expect(client.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(server.parentSpanContext?.isRemote).toBe(true);
    expect(server.spanContext().traceState?.get('vendor')).toBe('value');
    expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);

    expect(hrTimeToMilliseconds(server.startTime)).toBeCloseTo(request.startTime, 3);
    expect(hrTimeToMilliseconds(server.endTime)).toBeCloseTo(request.endTime, 3);
    expect(hrTimeToMilliseconds(client.startTime)).toBeCloseTo(generation.startTime, 3);
    expect(hrTimeToMilliseconds(client.endTime)).toBeCloseTo(generation.endTime, 3);

    expect(server.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'url.path': '/v1/chat/completions',
      'http.response.status_code': 200,
      'promptune.request_id': 'request-1',
      'promptune.task': 'sentiment',
      'promptune.version': '3',
      'promptune.label': 'production',
    });
    expect(client.attributes).toStrictEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'promptune',
      'gen_ai.request.model': 'sentiment@production',
      'gen_ai.response.model': 'sentiment@3',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.7,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.seed': 42,
      'gen_ai.usage.input_tokens': 17,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.response.finish_reasons': ['stop'],
      'promptune.task': 'sentiment',
      'promptune.version': '3',
      'promptune.label': 'production',
      'promptune.request_id': 'request-1',
    });
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(client.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.resource.attributes['service.name']).toBe('promptune-test');
    expect(errors).toEqual([]);
    await telemetry.shutdown();
  });

  it('marks a failed model call ERROR with error.type, and the server span only on a 5xx', async () => {
    const { telemetry, exporter } = inMemory();
    const failed = {
      ...generation,
      errorType: 'UPSTREAM_TIMEOUT',
      outputTokens: undefined,
      finishReasons: undefined,
    };
    telemetry.record({ ...request, status: 504 }, failed);
    telemetry.record(
      { ...request, status: 422, requestId: 'request-2' },
      { ...failed, errorType: 'VALIDATION' },
    );
    const [client504, server504, client422, server422] = exporter.getFinishedSpans();

    expect(client504.status).toEqual({ code: SpanStatusCode.ERROR, message: 'UPSTREAM_TIMEOUT' });
    expect(client504.attributes['error.type']).toBe('UPSTREAM_TIMEOUT');
    expect(client504.attributes).not.toHaveProperty('gen_ai.usage.output_tokens');
    expect(client504.attributes).not.toHaveProperty('gen_ai.response.finish_reasons');
    expect(server504.status.code).toBe(SpanStatusCode.ERROR);
    expect(server504.attributes['error.type']).toBe('504');

    expect(client422.status.code).toBe(SpanStatusCode.ERROR);
    expect(client422.attributes['error.type']).toBe('VALIDATION');
    expect(server422.status.code).toBe(SpanStatusCode.UNSET);
    expect(server422.attributes).not.toHaveProperty('error.type');
    await telemetry.shutdown();
  });

  it('starts a new trace without (or with a malformed) traceparent, and honours an unsampled caller', async () => {
    const { telemetry, exporter } = inMemory();
    telemetry.record({ ...request, traceparent: undefined, tracestate: undefined });
    telemetry.record({ ...request, traceparent: 'not-a-traceparent' });
    const [fresh, malformed] = exporter.getFinishedSpans();
    expect(fresh.parentSpanContext).toBeUndefined();
    expect(fresh.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.spanContext().traceId).not.toBe(traceId);
    expect(malformed.parentSpanContext).toBeUndefined();

    exporter.reset();
    telemetry.record({ ...request, traceparent: `00-${traceId}-${callerSpanId}-00` }, generation);
    expect(exporter.getFinishedSpans()).toEqual([]);
    await telemetry.shutdown();
  });

  it('names an unknown HTTP method _OTHER and keeps the original', async () => {
    const { telemetry, exporter } = inMemory();
    telemetry.record({ ...request, method: 'BREW' });
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('HTTP /v1/chat/completions');
    expect(span.attributes['http.request.method']).toBe('_OTHER');
    expect(span.attributes['http.request.method_original']).toBe('BREW');
    await telemetry.shutdown();
  });

  it('records a model call outside the service as one root CLIENT span', async () => {
    const { telemetry, exporter } = inMemory();
    telemetry.recordGeneration({ ...generation, operation: 'text_completion', provider: 'openai' });
    const [span, ...others] = exporter.getFinishedSpans();
    expect(others).toEqual([]);
    expect(span.name).toBe('text_completion sentiment@production');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes['gen_ai.provider.name']).toBe('openai');
    expect(span.attributes).not.toHaveProperty('promptune.request_id');
    await telemetry.shutdown();
  });

  it('registers nothing globally, so two instances and the global API stay apart', async () => {
    const first = inMemory();
    const second = inMemory();
    first.telemetry.record(request, generation);
    expect(first.exporter.getFinishedSpans()).toHaveLength(2);
    expect(second.exporter.getFinishedSpans()).toEqual([]);
    expect(trace.getTracer('anyone').startSpan('global').isRecording()).toBe(false);
    await Promise.all([first.telemetry.shutdown(), second.telemetry.shutdown()]);
  });

  it('reports a throwing exporter to onError instead of throwing, and ignores records after shutdown', async () => {
    const broken: SpanExporter = {
      export: () => {
        throw new Error('exporter exploded');
      },
      shutdown: () => Promise.resolve(),
    };
    const errors: Error[] = [];
    const telemetry = new Telemetry({
      spanExporter: broken,
      batch: false,
      onError: (error) => errors.push(error),
    });
    expect(() => telemetry.record(request, generation)).not.toThrow();
    expect(errors.map((error) => error.message)).toContain('exporter exploded');

    const { telemetry: closed, exporter } = inMemory();
    await closed.shutdown();
    expect(() => closed.record(request, generation)).not.toThrow();
    expect(exporter.getFinishedSpans()).toEqual([]);
    await telemetry.shutdown();
  });

  it('keeps the stable names it writes as strings in step with the semantic conventions', () => {
    expect(stableAttribute).toEqual({
      errorType: stable.ATTR_ERROR_TYPE,
      serviceName: stable.ATTR_SERVICE_NAME,
      httpRequestMethod: stable.ATTR_HTTP_REQUEST_METHOD,
      httpRequestMethodOriginal: stable.ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
      httpResponseStatusCode: stable.ATTR_HTTP_RESPONSE_STATUS_CODE,
      httpRoute: stable.ATTR_HTTP_ROUTE,
      urlPath: stable.ATTR_URL_PATH,
    });
  });

  it('keeps the GenAI names in step with the incubating semantic conventions', () => {
    expect(genAiAttribute).toEqual({
      operationName: incubating.ATTR_GEN_AI_OPERATION_NAME,
      providerName: incubating.ATTR_GEN_AI_PROVIDER_NAME,
      requestModel: incubating.ATTR_GEN_AI_REQUEST_MODEL,
      responseModel: incubating.ATTR_GEN_AI_RESPONSE_MODEL,
      responseId: incubating.ATTR_GEN_AI_RESPONSE_ID,
      requestMaxTokens: incubating.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
      requestTemperature: incubating.ATTR_GEN_AI_REQUEST_TEMPERATURE,
      requestTopP: incubating.ATTR_GEN_AI_REQUEST_TOP_P,
      requestSeed: incubating.ATTR_GEN_AI_REQUEST_SEED,
      usageInputTokens: incubating.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
      usageOutputTokens: incubating.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
      responseFinishReasons: incubating.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
      tokenType: incubating.ATTR_GEN_AI_TOKEN_TYPE,
    });
    expect(genAiMetric.tokenUsage.name).toBe(incubating.METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(genAiMetric.operationDuration.name).toBe(incubating.METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(incubating.GEN_AI_OPERATION_NAME_VALUE_CHAT).toBe('chat');
    expect(incubating.GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION).toBe('text_completion');
  });
});

describe('Telemetry metrics', () => {
  it('records input and output tokens in gen_ai.client.token.usage, with the recommended buckets', async () => {
    const { telemetry, reader } = inMemory({ metrics: true });
    telemetry.record(request, generation);
    telemetry.recordGeneration({ ...generation, inputTokens: 300, outputTokens: undefined });
    const usage = await histogram(reader!, 'gen_ai.client.token.usage');
    expect(usage.descriptor.unit).toBe('{token}');
    const points = usage.dataPoints.map((point) => ({
      attributes: point.attributes,
      sum: point.value.sum,
      count: point.value.count,
    }));
    const shared = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'promptune',
      'gen_ai.request.model': 'sentiment@production',
      'gen_ai.response.model': 'sentiment@3',
    };
    expect(points).toEqual(
      expect.arrayContaining([
        { attributes: { ...shared, 'gen_ai.token.type': 'input' }, sum: 317, count: 2 },
        { attributes: { ...shared, 'gen_ai.token.type': 'output' }, sum: 5, count: 1 },
      ]),
    );
    expect(points).toHaveLength(2);
    expect(usage.dataPoints[0].value.buckets.boundaries).toEqual(genAiMetric.tokenUsage.buckets);
    await telemetry.shutdown();
  });

  it('records gen_ai.client.operation.duration in seconds, with error.type on failure', async () => {
    const { telemetry, reader } = inMemory({ metrics: true });
    telemetry.recordGeneration(generation);
    telemetry.recordGeneration({
      ...generation,
      errorType: 'ENGINE_FAILED',
      endTime: generation.startTime + 2500,
    });
    const duration = await histogram(reader!, 'gen_ai.client.operation.duration');
    expect(duration.descriptor.unit).toBe('s');
    const succeeded = duration.dataPoints.find((point) => !('error.type' in point.attributes));
    const failed = duration.dataPoints.find((point) => point.attributes['error.type'] === 'ENGINE_FAILED');
    expect(succeeded?.value.sum).toBeCloseTo(0.108, 6);
    expect(failed?.value.sum).toBeCloseTo(2.5, 6);
    expect(succeeded?.value.buckets.boundaries).toEqual(genAiMetric.operationDuration.buckets);
    await telemetry.shutdown();
  });
});
