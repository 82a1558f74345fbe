// Exporter wrappers that pass each failed export to a callback, so one Telemetry instance hears about
// its own exporters' failures (the SDK's fallback is the process-wide diag logger, silent by default).
// They change nothing else: results, shutdown and flushing go through untouched, and they never throw.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** Receives every export failure (and any other error telemetry swallows). */
export type ReportError = (error: unknown) => void;

/** A failed result's error, or one saying which signal failed when the exporter gave none. */
function failureOf(result: ExportResult, signal: string): Error {
  return result.error ?? new Error(`OpenTelemetry ${signal} export failed (the exporter gave no reason)`);
}

/** The span exporter, reporting each failed export (and a throwing export) to `report`. */
export function reportSpanExportFailures(exporter: SpanExporter, report: ReportError): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      try {
        exporter.export(spans, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) report(failureOf(result, 'span'));
          done(result);
        });
      } catch (error) {
        report(error);
        done({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/** The metric exporter, reporting each failed export to `report`; aggregation choices are its own. */
export function reportMetricExportFailures(
  exporter: PushMetricExporter,
  report: ReportError,
): PushMetricExporter {
  return {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void) {
      try {
        exporter.export(metrics, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) report(failureOf(result, 'metric'));
          done(result);
        });
      } catch (error) {
        report(error);
        done({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    selectAggregationTemporality: exporter.selectAggregationTemporality?.bind(exporter),
    selectAggregation: exporter.selectAggregation?.bind(exporter),
  };
}
