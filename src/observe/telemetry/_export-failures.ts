// Exporter wrappers that pass each failed export to a callback, so one Telemetry instance hears about
// its own exporters' failures (the SDK's fallback is the process-wide diag logger, silent by default).
// They change nothing else: results, shutdown and flushing go through untouched, and they never throw.
import type { ExportResult } from '@opentelemetry/core';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { openTelemetry } from './_open-telemetry.js';

/** Receives every export failure (and any other error telemetry swallows). */
export type ReportError = (error: unknown) => void;

/** A failed result's error, or one saying which signal failed when the exporter gave none. */
function failureOf(result: ExportResult, signal: string): Error {
  return result.error ?? new Error(`OpenTelemetry ${signal} export failed (the exporter gave no reason)`);
}

/**
 * An exporter's `export` that reports each failed export (and a throwing export) to `report`, then
 * hands the result on unchanged (a throw becomes a FAILED result).
 */
function reportingExport<Batch>(
  exportBatch: (batch: Batch, done: (result: ExportResult) => void) => void,
  signal: string,
  report: ReportError,
): (batch: Batch, done: (result: ExportResult) => void) => void {
  return (batch, done) => {
    try {
      exportBatch(batch, (result) => {
        if (result.code !== openTelemetry().core.ExportResultCode.SUCCESS) report(failureOf(result, signal));
        done(result);
      });
    } catch (error) {
      report(error);
      done({
        code: openTelemetry().core.ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    }
  };
}

/** The span exporter, reporting each failed export (and a throwing export) to `report`. */
export function reportSpanExportFailures(exporter: SpanExporter, report: ReportError): SpanExporter {
  return {
    export: reportingExport<ReadableSpan[]>((spans, done) => exporter.export(spans, done), 'span', report),
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
    export: reportingExport<ResourceMetrics>(
      (metrics, done) => exporter.export(metrics, done),
      'metric',
      report,
    ),
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    selectAggregationTemporality: exporter.selectAggregationTemporality?.bind(exporter),
    selectAggregation: exporter.selectAggregation?.bind(exporter),
  };
}
