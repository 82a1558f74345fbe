// Public surface of observe: monitoring over the record (traces and scores in the registry): the trace
// recorder that batches writes off the request path, redaction, aggregates over windows, and durations.
export {
  TraceRecorder,
  type TraceRecorderOptions,
  type TraceRecorderCounts,
  type TraceSink,
} from './trace-recorder.js';
export { Redactor, redactionRules, namedRedactionRules, type RedactionRule } from './redaction.js';
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
export { parseDuration, parseTimeReference } from './durations.js';
export { startRetention, type RetentionOptions } from './retention.js';
