// Prometheus metrics of alerting, read at scrape time: whether each rule fires and its latest value,
// from the evaluator's statuses, and webhook POSTs by outcome, from the delivery's counters. It
// registers on a registry it is given (the service's) and keeps no state of its own.
import type { Counter, Gauge, Registry as MetricsRegistry } from 'prom-client';
import { promClient } from '../prometheus.js';
import type { AlertEvaluator } from './alert-evaluator.js';
import type { WebhookDelivery } from './webhook-delivery.js';

/** Where the metrics read from: the evaluator, and the webhook delivery when there is one. */
export interface AlertGaugeSources {
  evaluator: Pick<AlertEvaluator, 'rules' | 'statuses'>;
  delivery?: Pick<WebhookDelivery, 'counters'>;
}

/**
 * Registers promptune_alert_firing{rule,severity}, promptune_alert_value{rule},
 * promptune_alert_webhook_deliveries_total{outcome} and promptune_alert_webhook_retries_total on
 * `registry` (once per registry: prom-client refuses a name twice).
 */
export function registerAlertGauges(registry: MetricsRegistry, sources: AlertGaugeSources): void {
  const { evaluator, delivery } = sources;
  const { Counter, Gauge } = promClient();
  const firing: Gauge<'rule' | 'severity'> = new Gauge({
    name: 'promptune_alert_firing',
    help: 'Whether an alert rule is firing (1) or not (0)',
    labelNames: ['rule', 'severity'] as const,
    registers: [registry],
    collect() {
      firing.reset(); // rules dropped from the file disappear
      const states = new Map(evaluator.statuses().map((status) => [status.rule, status.state]));
      for (const rule of evaluator.rules)
        firing.set({ rule: rule.name, severity: rule.severity }, states.get(rule.name) === 'firing' ? 1 : 0);
    },
  });
  const value: Gauge<'rule'> = new Gauge({
    name: 'promptune_alert_value',
    help: "An alert rule's metric at its latest evaluation (absent without a value)",
    labelNames: ['rule'] as const,
    registers: [registry],
    collect() {
      value.reset();
      for (const status of evaluator.statuses())
        if (status.value !== undefined) value.set({ rule: status.rule }, status.value);
    },
  });
  if (!delivery) return;
  const deliveries: Counter<'outcome'> = new Counter({
    name: 'promptune_alert_webhook_deliveries_total',
    help: 'Alert webhook POSTs by outcome (delivered, failed after retries or on a 4xx, dropped on a full queue)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const counters = delivery.counters;
      deliveries.reset();
      for (const outcome of ['delivered', 'failed', 'dropped'] as const)
        deliveries.inc({ outcome }, counters[outcome]);
    },
  });
  const retries: Counter = new Counter({
    name: 'promptune_alert_webhook_retries_total',
    help: 'Alert webhook attempts after the first (network errors, timeouts, 429 and 5xx)',
    registers: [registry],
    collect() {
      retries.reset();
      retries.inc(delivery.counters.retried);
    },
  });
}
