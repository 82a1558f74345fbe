// Public surface of alerting: the rules file, the evaluator and its contracts, the in-memory store,
// webhook delivery and its payload, and the Prometheus gauges. The registry-backed store, the metric
// source over traces and the wiring into the service and CLI live in observe and serve.
export {
  alertComparisons,
  alertMetrics,
  alertSeverities,
  parseAlertRules,
  readAlertRules,
  type AlertRule,
  type AlertRules,
  type AlertWebhook,
} from './alert-rules.js';
export type {
  AlertEvaluation,
  AlertEvent,
  AlertMetricSource,
  AlertNotification,
  AlertState,
  AlertStateStore,
  AlertStatus,
  MetricQuery,
  MetricReading,
} from './alert-types.js';
export { AlertEvaluator, type AlertEvaluatorOptions } from './alert-evaluator.js';
export { MemoryAlertStore } from './memory-alert-store.js';
export {
  WebhookDelivery,
  type WebhookDeliveryCounters,
  type WebhookDeliveryOptions,
  type WebhookFailure,
} from './webhook-delivery.js';
export { alertSummary, alertValueText, webhookPayload, type WebhookPayload } from './webhook-payload.js';
export { registerAlertGauges, type AlertGaugeSources } from './alert-gauges.js';
