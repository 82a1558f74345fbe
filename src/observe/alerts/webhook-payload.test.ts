import { describe, expect, it } from 'vitest';
import { parseAlertRules } from './alert-rules.js';
import type { AlertEvent } from './alert-types.js';
import { alertSummary, webhookPayload } from './webhook-payload.js';

function summary(ruleText: string, changes: Partial<AlertEvent> = {}): string {
  const [rule] = parseAlertRules(`rules: [${ruleText}]`, 'alerts.yaml').rules;
  const event: AlertEvent = {
    rule: rule.name,
    state: 'firing',
    value: 0.123456,
    count: 1,
    threshold: rule.threshold,
    at: 0,
    severity: rule.severity,
    ...changes,
  };
  return alertSummary({ event, rule, webhooks: [] });
}

describe('alertSummary', () => {
  it.each([
    [
      '{ name: a, metric: latency_p95, window: 90s, comparison: ">=", threshold: 2.5 }',
      {},
      '[warning] a firing: latency_p95 of all tasks is 0.1235 (>= 2.5) over the last 1m30s, 1 request',
    ],
    [
      '{ name: b, task: qa, label: prod, metric: score_mean, score: helpful, window: 1d, comparison: "<", threshold: 0.7, severity: info }',
      { state: 'resolved' as const, value: 0.9, count: 12 },
      '[info] b resolved: score_mean (helpful) of task qa (label prod) is 0.9 (no longer < 0.7) over the last 1d, 12 scores',
    ],
    [
      '{ name: c, task: qa, version: v3, metric: cost, window: 1h, comparison: ">", threshold: 100 }',
      { value: 1234567.891 },
      '[warning] c firing: cost of task qa version v3 is 1235000 (> 100) over the last 1h, 1 request',
    ],
  ])('describes %s', (ruleText, changes, expected) => {
    expect(summary(ruleText, changes)).toBe(expected);
  });

  it('builds the payload with an ISO time and no task when the rule has none', () => {
    const [rule] = parseAlertRules(
      'rules: [{ name: a, metric: requests, window: 1m, comparison: "<", threshold: 1 }]',
      'x',
    ).rules;
    const event: AlertEvent = {
      rule: 'a',
      state: 'firing',
      value: 0,
      count: 0,
      threshold: 1,
      at: 0,
      severity: 'warning',
    };
    const payload = webhookPayload({
      event,
      rule,
      webhooks: [{ url: 'http://h', headers: { A: 'secret' } }],
    });
    expect(payload).toEqual({
      rule: 'a',
      state: 'firing',
      value: 0,
      count: 0,
      threshold: 1,
      severity: 'warning',
      at: '1970-01-01T00:00:00.000Z',
      summary: '[warning] a firing: requests of all tasks is 0 (< 1) over the last 1m, 0 requests',
    });
    expect(JSON.stringify(payload)).not.toContain('secret');
  });
});
