// The whole path: a rules file, the evaluator on its timer, the memory store, WebhookDelivery and a
// real HTTP receiver on 127.0.0.1. A rule fires, the receiver is told; the value drops, the rule
// resolves, the receiver is told again, in that order.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertEvaluator } from './alert-evaluator.js';
import { readAlertRules } from './alert-rules.js';
import type { MetricQuery, MetricReading } from './alert-types.js';
import { MemoryAlertStore } from './memory-alert-store.js';
import { WebhookDelivery } from './webhook-delivery.js';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.case.js';

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
});

describe('alerts end to end', () => {
  it('notifies a real webhook when a rule fires and when it resolves', async () => {
    receiver = await startReceiver();
    const path = join(mkdtempSync(join(tmpdir(), 'promptune-alerts-')), 'alerts.yaml');
    writeFileSync(
      path,
      `interval: 5ms
rules:
  - name: qa-errors
    task: qa
    metric: error_rate
    window: 5m
    comparison: ">"
    threshold: 0.05
    minCount: 20
    severity: critical
    webhooks:
      - url: ${receiver.url}
        headers: { Authorization: "Bearer token" }
`,
    );
    let reading: MetricReading = { value: 0.2, count: 50, detail: { topCode: 'PROVIDER_TIMEOUT' } };
    const queries: MetricQuery[] = [];
    const store = new MemoryAlertStore();
    const delivery = new WebhookDelivery({ sleep: async () => {} });
    const evaluator = new AlertEvaluator({
      rules: readAlertRules(path),
      metrics: {
        read: async (query) => {
          queries.push(query);
          return reading;
        },
      },
      store,
      deliver: (notification) => delivery.send(notification),
    });

    evaluator.start();
    const [firing] = await receiver.waitFor(1);
    expect(firing.headers.authorization).toBe('Bearer token');
    expect(firing.body).toMatchObject({
      rule: 'qa-errors',
      state: 'firing',
      value: 0.2,
      count: 50,
      threshold: 0.05,
      severity: 'critical',
      task: 'qa',
      detail: { topCode: 'PROVIDER_TIMEOUT' },
      summary:
        '[critical] qa-errors firing: error_rate of task qa is 0.2 (> 0.05) over the last 5m, 50 requests',
    });

    reading = { value: 0.01, count: 80 };
    const received = await receiver.waitFor(2);
    await evaluator.stop();
    await delivery.drain();

    expect(received.map((request) => (request.body as { state: string }).state)).toEqual([
      'firing',
      'resolved',
    ]);
    expect(received[1].body).toMatchObject({ state: 'resolved', value: 0.01, count: 80 });
    expect(receiver.received).toHaveLength(2); // firing is told once however many evaluations saw it
    expect(delivery.counters).toEqual({ delivered: 2, failed: 0, dropped: 0, retried: 0 });
    expect((await store.history({ rule: 'qa-errors' })).map((event) => event.state)).toEqual([
      'resolved',
      'firing',
    ]);
    expect(evaluator.statuses()[0].state).toBe('ok');
    expect(queries[0].until - queries[0].since).toBe(300_000);
    expect(queries[0]).toMatchObject({ metric: 'error_rate', task: 'qa' });
  });
});
