// Public surface of observe: monitoring over the record (traces and scores in the registry): the trace
// recorder that batches writes off the request path, redaction, aggregates over windows, and durations.
export {
  TraceRecorder,
  type TraceRecorderOptions,
  type TraceRecorderCounts,
  type TraceSink,
} from './trace-recorder.js';
export { Redactor, redactionRules, namedRedactionRules, type RedactionRule } from './redaction.js';
export { promClient } from './prometheus.js';
export {
  monitor,
  meanInterval,
  sortedPercentile,
  windowFor,
  windowLengths,
  type MonitorQuery,
  type MonitorReport,
  type MonitorGroup,
  type MonitorPoint,
  type Percentiles,
  type ScoreSummary,
  type WindowName,
} from './monitor.js';
export {
  parseDuration,
  parseWindow,
  parseTimeReference,
  formatDuration,
  durationMilliseconds,
  timeWindow,
} from './durations.js';
export {
  alertComparisons,
  alertMetrics,
  alertSeverities,
  parseAlertRules,
  readAlertRules,
  AlertEvaluator,
  MemoryAlertStore,
  WebhookDelivery,
  alertSummary,
  alertValueText,
  webhookPayload,
  registerAlertGauges,
  type AlertRule,
  type AlertRules,
  type AlertWebhook,
  type AlertEvaluation,
  type AlertEvent,
  type AlertMetricSource,
  type AlertNotification,
  type AlertState,
  type AlertStateStore,
  type AlertStatus,
  type MetricQuery,
  type MetricReading,
  type AlertEvaluatorOptions,
  type WebhookDeliveryCounters,
  type WebhookDeliveryOptions,
  type WebhookFailure,
  type WebhookPayload,
  type AlertGaugeSources,
} from './alerts/index.js';
export { startRetention, type RetentionOptions } from './retention.js';
export { TraceMetricSource, type DriftReader } from './trace-metrics.js';
export {
  driftReport,
  type DriftObservations,
  type DriftOptions,
  type DriftReport,
  type FeatureDrift,
} from './drift-report.js';
export {
  categoricalOutputs,
  datasetObservations,
  fieldsText,
  referenceDataset,
  traceInputText,
  traceObservations,
} from './drift-sources.js';
export { servedVersion, traceDriftReader, trainingDataDrift } from './drift-reader.js';
export {
  categoricalDrift,
  embeddingDrift,
  numericDrift,
  kolmogorovSmirnovTest,
  chiSquaredGoodnessOfFit,
  chiSquaredHomogeneityTest,
  chiSquaredSurvival,
  chiSquaredTest,
  proportionZTest,
  normedWassersteinDistance,
  wassersteinDistance,
  jensenShannonDistance,
  populationStabilityIndex,
  maximumMeanDiscrepancyTest,
  type FeatureDriftResult,
  type DriftTest,
  type Vector,
} from './drift/index.js';
export {
  Telemetry,
  readTelemetryEnvironment,
  type TelemetryOptions,
  type GenerationRecord,
  type RequestRecord,
  type ExportTarget,
  type TelemetrySettings,
} from './telemetry/index.js';
export { WorkerTraceSink } from './worker-trace-sink.js';
export { checkTaskFilter, guardFilterNote, versionFilter } from './version-filter.js';
export {
  OnlineEvaluation,
  judgeEvaluator,
  type OnlineEvaluator,
  type OnlineEvaluationOptions,
} from './online-evaluation.js';
export { scoreCorrection } from './correction-metrics.js';
export { traceFields, traceInput } from './trace-input.js';
