// Public surface of promptune's OpenTelemetry: the Telemetry class, the records it takes, and the
// environment reader behind Telemetry.fromEnvironment. Attribute building and exporter wrapping stay
// private; the SDK's own types (SpanExporter, MetricReader) come from the @opentelemetry packages.
export { Telemetry, type TelemetryOptions } from './telemetry.js';
export type { GenerationRecord, RequestRecord } from './records.js';
export {
  readTelemetryEnvironment,
  type ExportTarget,
  type TelemetrySettings,
} from './telemetry-environment.js';
