// Telemetry.fromEnvironment against a real OTLP/HTTP receiver on 127.0.0.1 (a node:http server that
// decodes what the SDK's exporters send), against a closed port, and against a receiver that never answers.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationRecord, RequestRecord } from './records.js';
import { Telemetry } from './telemetry.js';

interface Received {
  path: string;
  contentType: string | undefined;
  headers: IncomingMessage['headers'];
  body: OtlpBody;
}

// the slice of the OTLP/JSON encoding the assertions read
interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpBody {
  resourceSpans?: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
  resourceMetrics?: {
    scopeMetrics: {
      metrics: {
        name: string;
        unit?: string;
        histogram?: { dataPoints: { attributes: OtlpAttribute[]; sum?: number; count?: number | string }[] };
      }[];
    }[];
  }[];
}

/** A JS value for an OTLP AnyValue (int64 arrives as a number or a decimal string). */
function decode(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decode);
  return undefined;
}

function attributesOf(list: OtlpAttribute[]): Record<string, unknown> {
  return Object.fromEntries(list.map((attribute) => [attribute.key, decode(attribute.value)]));
}

/** An OTLP/HTTP receiver: POST /v1/traces and /v1/metrics, JSON bodies (gzip allowed), 200 `{}`. */
async function startReceiver(options: { silent?: boolean } = {}) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (options.silent) return; // holds the request open: an unresponsive collector
      let raw = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const contentType = request.headers['content-type'];
      if (request.method !== 'POST' || !contentType?.startsWith('application/json')) {
        // protobuf (application/x-protobuf) is not what the JS OTLP/HTTP exporters send by default
        response.writeHead(415).end();
        received.push({ path: request.url ?? '', contentType, headers: request.headers, body: {} });
        return;
      }
      received.push({
        path: request.url ?? '',
        contentType,
        headers: request.headers,
        body: JSON.parse(raw.toString()),
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const now = Date.now();
const request: RequestRecord = {
  method: 'POST',
  route: '/v1/completions',
  path: '/v1/completions',
  status: 200,
  requestId: 'otlp-request',
  startTime: now - 50,
  endTime: now,
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};
const generation: GenerationRecord = {
  operation: 'text_completion',
  provider: 'promptune',
  requestModel: 'summary@production',
  task: 'summary',
  label: 'production',
  request: { maxTokens: 32, temperature: 0 },
  inputTokens: 40,
  outputTokens: 12,
  finishReasons: ['length'],
  startTime: now - 45,
  endTime: now - 5,
};

describe('Telemetry over OTLP/HTTP', () => {
  it('is off without an endpoint', () => {
    expect(Telemetry.fromEnvironment({})).toBeUndefined();
  });

  it('exports spans and GenAI metrics to the endpoint from the environment, flushed by shutdown', async () => {
    const receiver = await startReceiver();
    const errors: Error[] = [];
    const telemetry = Telemetry.fromEnvironment(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=secret%20value',
        OTEL_SERVICE_NAME: 'promptune-otlp-test',
      },
      { onError: (error) => errors.push(error) },
    );
    expect(telemetry).toBeInstanceOf(Telemetry);
    telemetry!.record(request, generation);
    telemetry!.recordGeneration({
      ...generation,
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-test',
    });
    await telemetry!.shutdown();
    expect(errors).toEqual([]);

    const traces = receiver.received.filter((each) => each.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0].contentType).toMatch(/^application\/json/);
    expect(traces[0].headers['x-collector-key']).toBe('secret value');
    const resources = traces.flatMap((each) => each.body.resourceSpans ?? []);
    expect(attributesOf(resources[0].resource.attributes)['service.name']).toBe('promptune-otlp-test');
    const spans = resources.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    expect(spans.map((span) => span.name).sort()).toEqual([
      'POST /v1/completions',
      'chat gpt-test',
      'text_completion summary@production',
    ]);

    const server = spans.find((span) => span.name === 'POST /v1/completions')!;
    const client = spans.find((span) => span.name === 'text_completion summary@production')!;
    expect(server.kind).toBe(2); // OTLP SPAN_KIND_SERVER
    expect(client.kind).toBe(3); // OTLP SPAN_KIND_CLIENT
    expect(server.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(server.parentSpanId).toBe('b7ad6b7169203331');
    expect(client.traceId).toBe(server.traceId);
    expect(client.parentSpanId).toBe(server.spanId);
    expect(attributesOf(client.attributes)).toMatchObject({
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'promptune',
      'gen_ai.request.model': 'summary@production',
      'gen_ai.request.max_tokens': 32,
      'gen_ai.request.temperature': 0,
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.response.finish_reasons': ['length'],
      'promptune.task': 'summary',
      'promptune.label': 'production',
      'promptune.request_id': 'otlp-request',
    });
    expect(attributesOf(server.attributes)).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/completions',
      'http.response.status_code': 200,
    });

    const metrics = receiver.received
      .filter((each) => each.path === '/v1/metrics')
      .flatMap((each) => each.body.resourceMetrics ?? [])
      .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    const usage = metrics.find((metric) => metric.name === 'gen_ai.client.token.usage');
    expect(usage?.unit).toBe('{token}');
    const byType = Object.fromEntries(
      (usage?.histogram?.dataPoints ?? [])
        .map((point) => ({ attributes: attributesOf(point.attributes), sum: point.sum }))
        .filter((point) => point.attributes['gen_ai.provider.name'] === 'promptune')
        .map((point) => [point.attributes['gen_ai.token.type'], point.sum]),
    );
    expect(byType).toEqual({ input: 40, output: 12 });
    expect(metrics.map((metric) => metric.name)).toContain('gen_ai.client.operation.duration');
  });

  it('neither throws nor hangs when the collector’s port is closed', async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const errors: Error[] = [];
    const telemetry = Telemetry.fromEnvironment(
      { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_TIMEOUT: '300' },
      { onError: (error) => errors.push(error) },
    )!;
    expect(() => telemetry.record(request, generation)).not.toThrow();
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((error) => error.message).join('\n')).toMatch(/ECONNREFUSED|connect/i);
  });

  it('gives up on an unresponsive collector after shutdownTimeoutMillis', async () => {
    const silent = await startReceiver({ silent: true });
    const errors: Error[] = [];
    const telemetry = Telemetry.fromEnvironment(
      { OTEL_EXPORTER_OTLP_ENDPOINT: silent.url },
      { onError: (error) => errors.push(error), shutdownTimeoutMillis: 200 },
    )!;
    telemetry.record(request, generation);
    await telemetry.shutdown(); // resolves through the timeout (the exporter's own would wait 10 s)
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringContaining('telemetry shutdown took over 200 ms'),
    ]);
  });
});
