import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AlertEvaluator } from './alert-evaluator.js';
import { registerAlertGauges } from './alert-gauges.js';
import { parseAlertRules } from './alert-rules.js';
import type { MetricReading } from './alert-types.js';
import { MemoryAlertStore } from './memory-alert-store.js';
import type { WebhookDeliveryCounters } from './webhook-delivery.js';

describe('registerAlertGauges', () => {
  it("reads the evaluator's statuses and the delivery's counters at each scrape", async () => {
    const readings: Record<string, MetricReading> = {
      error_rate: { value: 0.25, count: 30 },
      cost: { value: undefined, count: 0 },
    };
    const evaluator = new AlertEvaluator({
      rules: parseAlertRules(
        `rules:
  - { name: errors, metric: error_rate, window: 5m, comparison: ">", threshold: 0.1, severity: critical }
  - { name: spend, metric: cost, window: 1h, comparison: ">", threshold: 10, severity: info }
`,
        'alerts.yaml',
      ),
      metrics: { read: async (query) => readings[query.metric] },
      store: new MemoryAlertStore(),
      deliver: () => {},
      now: () => 0,
    });
    const counters: WebhookDeliveryCounters = { delivered: 3, failed: 1, dropped: 0, retried: 4 };
    const registry = new Registry();
    registerAlertGauges(registry, { evaluator, delivery: { counters } });

    let text = await registry.metrics();
    expect(text).toContain('promptune_alert_firing{rule="errors",severity="critical"} 0');
    expect(text).toContain('promptune_alert_firing{rule="spend",severity="info"} 0');
    expect(text).not.toMatch(/promptune_alert_value\{/);

    await evaluator.evaluate();
    counters.delivered = 4;
    text = await registry.metrics();
    expect(text).toContain('promptune_alert_firing{rule="errors",severity="critical"} 1');
    expect(text).toContain('promptune_alert_firing{rule="spend",severity="info"} 0');
    expect(text).toContain('promptune_alert_value{rule="errors"} 0.25');
    expect(text).not.toContain('promptune_alert_value{rule="spend"}');
    expect(text).toContain('promptune_alert_webhook_deliveries_total{outcome="delivered"} 4');
    expect(text).toContain('promptune_alert_webhook_deliveries_total{outcome="failed"} 1');
    expect(text).toContain('promptune_alert_webhook_deliveries_total{outcome="dropped"} 0');
    expect(text).toContain('promptune_alert_webhook_retries_total 4');

    readings.error_rate = { value: 0.01, count: 30 };
    await evaluator.evaluate();
    text = await registry.metrics();
    expect(text).toContain('promptune_alert_firing{rule="errors",severity="critical"} 0');
    expect(text).toContain('promptune_alert_value{rule="errors"} 0.01');
  });

  it('registers no delivery counters without a delivery', async () => {
    const evaluator = new AlertEvaluator({
      rules: parseAlertRules('rules: []', 'alerts.yaml'),
      metrics: { read: async () => ({ value: 0, count: 0 }) },
      store: new MemoryAlertStore(),
      deliver: () => {},
    });
    const registry = new Registry();
    registerAlertGauges(registry, { evaluator });
    expect(registry.getMetricsAsArray().map((metric) => metric.name)).toEqual([
      'promptune_alert_firing',
      'promptune_alert_value',
    ]);
  });
});
