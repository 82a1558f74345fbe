// OpenTelemetry for promptune, recorded after the fact: the service hands over one finished request
// (and its model call) and gets a SERVER span, a CLIENT child span with the GenAI attributes, and the
// GenAI client metrics. Each instance owns its providers and registers nothing globally, so instances
// never interfere; exporting happens off the caller's path, and no exporter error reaches the caller.
import type { Context, Histogram, Tracer } from '@opentelemetry/api';
import type { MeterProvider, MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { reportMetricExportFailures, reportSpanExportFailures } from './_export-failures.js';
import { openTelemetry } from './_open-telemetry.js';
import {
  generationAttributes,
  generationSpanName,
  isServerError,
  metricAttributes,
  requestAttributes,
  serverSpanName,
} from './_record-attributes.js';
import { genAiAttribute, genAiMetric, stableAttribute } from './_semantic-conventions.js';
import type { GenerationRecord, RequestRecord } from './records.js';
import { readTelemetryEnvironment, type TelemetrySettings } from './telemetry-environment.js';

/** How a Telemetry instance exports; tests pass in-memory exporters, fromEnvironment passes OTLP ones. */
export interface TelemetryOptions {
  spanExporter: SpanExporter;
  /** A metric reader of your own (e.g. one a test collects from); ignored when metricExporter is set. */
  metricReader?: MetricReader;
  /** A push exporter read every metricIntervalMillis (60 s by default); its failures reach onError. */
  metricExporter?: PushMetricExporter;
  metricIntervalMillis?: number;
  /** `service.name` of the resource (default 'promptune'). */
  serviceName?: string;
  /** More resource attributes (deployment.environment.name, service.version, ...). */
  resourceAttributes?: Record<string, string>;
  /** Batch spans off the caller's path (the default); false exports each span as it ends (tests). */
  batch?: boolean | TelemetrySettings['batch'];
  /** Hears every export failure and any error record() swallowed; telemetry never throws into callers. */
  onError?: (error: Error) => void;
  /** How long shutdown() waits for the last exports before giving up on them (default 10 s). */
  shutdownTimeoutMillis?: number;
}

/** Spans and GenAI metrics for served requests and model calls, exported through its own providers. */
export class Telemetry {
  private readonly tracerProvider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly meterProvider: MeterProvider | undefined;
  private readonly tokenUsage: Histogram | undefined;
  private readonly operationDuration: Histogram | undefined;
  private readonly onError: (error: Error) => void;
  private readonly shutdownTimeoutMillis: number;
  private failures = 0;
  private closing: Promise<void> | undefined;

  /** From OTEL_EXPORTER_OTLP_ENDPOINT and friends (see readTelemetryEnvironment); undefined when unset. */
  static fromEnvironment(
    environment: NodeJS.ProcessEnv = process.env,
    options: Pick<TelemetryOptions, 'onError' | 'shutdownTimeoutMillis'> = {},
  ): Telemetry | undefined {
    const settings = readTelemetryEnvironment(environment);
    if (!settings) return undefined;
    const { traces, metrics } = settings;
    const { traceExporter, metricExporter } = openTelemetry();
    const { OTLPTraceExporter } = traceExporter;
    const { OTLPMetricExporter, AggregationTemporalityPreference } = metricExporter;
    const temporalityPreference = {
      cumulative: AggregationTemporalityPreference.CUMULATIVE,
      delta: AggregationTemporalityPreference.DELTA,
      lowmemory: AggregationTemporalityPreference.LOWMEMORY,
    } as const;
    return new Telemetry({
      ...options,
      spanExporter: new OTLPTraceExporter({
        url: traces.url,
        headers: traces.headers,
        timeoutMillis: traces.timeoutMillis,
      }),
      metricExporter:
        metrics &&
        new OTLPMetricExporter({
          url: metrics.url,
          headers: metrics.headers,
          timeoutMillis: metrics.timeoutMillis,
          temporalityPreference: metrics.temporality && temporalityPreference[metrics.temporality],
        }),
      metricIntervalMillis: metrics?.intervalMillis,
      serviceName: settings.serviceName,
      resourceAttributes: settings.resourceAttributes,
      batch: settings.batch,
    });
  }

  /** Telemetry over explicit exporters (tests and embedding); its timers never keep the process alive. */
  constructor(options: TelemetryOptions) {
    const userOnError = options.onError;
    this.onError = (error) => {
      try {
        userOnError?.(error);
      } catch {
        // a throwing error handler must not turn a telemetry failure into a request failure
      }
    };
    this.shutdownTimeoutMillis = options.shutdownTimeoutMillis ?? 10_000;
    const { resources, traceSdk, metricsSdk } = openTelemetry();
    const { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider } = traceSdk;
    const resource = resources.defaultResource().merge(
      resources.resourceFromAttributes({
        ...options.resourceAttributes,
        [stableAttribute.serviceName]: options.serviceName ?? 'promptune',
      }),
    );
    const exporter = reportSpanExportFailures(options.spanExporter, this.report);
    const batch = options.batch ?? true;
    const spanProcessor =
      batch === false
        ? new SimpleSpanProcessor({ exporter })
        : new BatchSpanProcessor({ exporter, ...(batch === true ? {} : batch) });
    this.tracerProvider = new TracerProvider({ resource, spanProcessors: [spanProcessor] });
    this.tracer = this.tracerProvider.getTracer('promptune');

    const metricReader = options.metricExporter
      ? periodicReader(
          reportMetricExportFailures(options.metricExporter, this.report),
          options.metricIntervalMillis,
        )
      : options.metricReader;
    if (metricReader) {
      this.meterProvider = new metricsSdk.MeterProvider({ resource, readers: [metricReader] });
      const meter = this.meterProvider.getMeter('promptune');
      const { tokenUsage, operationDuration } = genAiMetric;
      this.tokenUsage = meter.createHistogram(tokenUsage.name, {
        unit: tokenUsage.unit,
        description: tokenUsage.description,
        advice: { explicitBucketBoundaries: [...tokenUsage.buckets] },
      });
      this.operationDuration = meter.createHistogram(operationDuration.name, {
        unit: operationDuration.unit,
        description: operationDuration.description,
        advice: { explicitBucketBoundaries: [...operationDuration.buckets] },
      });
    }
  }

  /** One SERVER span for the request and, given a model call, its CLIENT child span and the metrics. */
  record(request: RequestRecord, generation?: GenerationRecord): void {
    if (this.closing) return;
    try {
      const { SpanKind, SpanStatusCode, trace } = openTelemetry().api;
      const parent = remoteParent(request.traceparent, request.tracestate);
      // attributes set after the start: startSpan's options would be validated three times over
      const server = this.tracer.startSpan(
        serverSpanName(request),
        { kind: SpanKind.SERVER, startTime: request.startTime },
        parent,
      );
      server.setAttributes(requestAttributes(request, generation));
      if (isServerError(request.status)) server.setStatus({ code: SpanStatusCode.ERROR });
      if (generation) this.generationSpan(generation, trace.setSpan(parent, server), request.requestId);
      server.end(request.endTime);
      if (generation) this.recordMetrics(generation);
    } catch (error) {
      this.report(error);
    }
  }

  /** A model call outside the service (evaluation, optimization): one CLIENT span and the metrics. */
  recordGeneration(generation: GenerationRecord): void {
    if (this.closing) return;
    try {
      this.generationSpan(generation, openTelemetry().api.ROOT_CONTEXT, undefined);
      this.recordMetrics(generation);
    } catch (error) {
      this.report(error);
    }
  }

  /** Exports what is queued and stops the exporters; resolves (never rejects) within the timeout. */
  shutdown(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    const failuresBefore = this.failures;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), this.shutdownTimeoutMillis);
      timer.unref();
    });
    const stopped = Promise.allSettled([this.tracerProvider.shutdown(), this.meterProvider?.shutdown()]);
    const outcome = await Promise.race([stopped, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timed out') {
      this.report(
        new Error(`telemetry shutdown took over ${this.shutdownTimeoutMillis} ms; unsent data was dropped`),
      );
      return;
    }
    // a failed export was reported when it failed; the providers' rejections would repeat it
    if (this.failures !== failuresBefore) return;
    for (const result of outcome) if (result.status === 'rejected') this.report(result.reason);
  }

  private generationSpan(generation: GenerationRecord, parent: Context, requestId: string | undefined): void {
    const { SpanKind, SpanStatusCode } = openTelemetry().api;
    const span = this.tracer.startSpan(
      generationSpanName(generation),
      { kind: SpanKind.CLIENT, startTime: generation.startTime },
      parent,
    );
    span.setAttributes(generationAttributes(generation, requestId));
    if (generation.errorType !== undefined)
      span.setStatus({ code: SpanStatusCode.ERROR, message: generation.errorType });
    span.end(generation.endTime);
  }

  private recordMetrics(generation: GenerationRecord): void {
    if (!this.operationDuration || !this.tokenUsage) return;
    const attributes = metricAttributes(generation);
    if (generation.inputTokens !== undefined)
      this.tokenUsage.record(generation.inputTokens, { ...attributes, [genAiAttribute.tokenType]: 'input' });
    if (generation.outputTokens !== undefined)
      this.tokenUsage.record(generation.outputTokens, {
        ...attributes,
        [genAiAttribute.tokenType]: 'output',
      });
    if (generation.errorType !== undefined) attributes[stableAttribute.errorType] = generation.errorType;
    this.operationDuration.record(Math.max(0, generation.endTime - generation.startTime) / 1000, attributes);
  }

  // an arrow so the exporter wrappers can hold it before the instance is complete
  private readonly report = (error: unknown): void => {
    this.failures++;
    this.onError(error instanceof Error ? error : new Error(String(error)));
  };
}

/** A reader pushing every interval; its export timeout never exceeds the interval (the SDK requires it). */
function periodicReader(exporter: PushMetricExporter, intervalMillis = 60_000): MetricReader {
  return new (openTelemetry().metricsSdk.PeriodicExportingMetricReader)({
    exporter,
    exportIntervalMillis: intervalMillis,
    exportTimeoutMillis: Math.min(30_000, intervalMillis),
  });
}

/** The caller's trace as a parent context (a remote span), or the root when the header is absent or bad. */
function remoteParent(traceparent: string | undefined, tracestate: string | undefined): Context {
  const { api, core } = openTelemetry();
  const { ROOT_CONTEXT } = api;
  if (traceparent === undefined) return ROOT_CONTEXT;
  const spanContext = core.parseTraceParent(traceparent);
  if (!spanContext) return ROOT_CONTEXT;
  spanContext.isRemote = true;
  if (tracestate) spanContext.traceState = new core.TraceState(tracestate);
  return api.trace.setSpanContext(ROOT_CONTEXT, spanContext);
}
