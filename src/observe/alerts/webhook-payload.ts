// The JSON body a webhook receives for a firing or resolved alert, with a one-line summary a person
// can read in a chat channel. It does not send anything (webhook-delivery.ts) and never includes
// webhook headers, which may hold secrets.
import type { AlertRule } from './alert-rules.js';
import type { AlertNotification } from './alert-types.js';
import { formatDuration } from '../durations.js';

/** What a webhook is POSTed (as JSON). */
export interface WebhookPayload {
  rule: string;
  state: 'firing' | 'resolved';
  /** Null when the metric had no value. */
  value: number | null;
  count: number;
  threshold: number;
  severity: string;
  /** ISO 8601. */
  at: string;
  task?: string;
  detail?: Record<string, unknown>;
  summary: string;
}

/** The body sent to webhooks for a notification. */
export function webhookPayload(notification: AlertNotification): WebhookPayload {
  const { event, rule } = notification;
  return {
    rule: event.rule,
    state: event.state,
    value: event.value ?? null,
    count: event.count,
    threshold: event.threshold,
    severity: event.severity,
    at: new Date(event.at).toISOString(),
    ...(rule?.task === undefined ? {} : { task: rule.task }),
    ...(event.detail === undefined ? {} : { detail: event.detail }),
    summary: alertSummary(notification),
  };
}

/**
 * One readable line, e.g. `[warning] sentiment-errors firing: error_rate of task sentiment is 0.12
 * (> 0.05) over the last 5m, 240 requests`.
 */
export function alertSummary({ event, rule }: AlertNotification): string {
  const value = event.value === undefined ? 'unknown' : readable(event.value);
  if (!rule)
    return `[${event.severity}] ${event.rule} ${event.state}: the rule is no longer in the rules file (its last value ${value})`;
  const condition =
    event.state === 'firing'
      ? `(${rule.comparison} ${readable(event.threshold)})`
      : `(no longer ${rule.comparison} ${readable(event.threshold)})`;
  const counted = rule.metric === 'score_mean' ? 'score' : 'request';
  const count = `${event.count} ${counted}${event.count === 1 ? '' : 's'}`;
  return (
    `[${event.severity}] ${event.rule} ${event.state}: ${metricName(rule)} of ${scope(rule)} is ${value} ` +
    `${condition} over the last ${formatDuration(rule.window)}, ${count}`
  );
}

function metricName(rule: AlertRule): string {
  return rule.metric === 'score_mean' ? `score_mean (${rule.score})` : rule.metric;
}

function scope(rule: AlertRule): string {
  if (rule.task === undefined) return 'all tasks';
  if (rule.version !== undefined) return `task ${rule.task} version ${rule.version}`;
  if (rule.label !== undefined) return `task ${rule.task} (label ${rule.label})`;
  return `task ${rule.task}`;
}

/**
 * A rule's value as a person reads it: four significant digits, with the metric's unit (ms for
 * latencies, % for the error rate, $ for cost); a bare number when the metric is not known.
 */
export function alertValueText(value: number | undefined, metric?: AlertRule['metric']): string {
  if (value === undefined) return '-';
  if (metric === 'error_rate') return `${readable(value * 100)}%`;
  if (metric === 'cost') return `$${readable(value)}`;
  if (metric?.startsWith('latency_') || metric === 'ttft_p95') return `${readable(value)} ms`;
  return readable(value);
}

/** Up to four significant digits, without a trailing exponent for ordinary magnitudes. */
function readable(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}
