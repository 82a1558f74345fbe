// The contracts around alert evaluation: where metric values come from, where rule states and events
// are kept, and what an evaluation and a notification are. Types only; the memory store, the
// evaluator and webhook delivery implement or use them. Statuses and events are the registry's records,
// which keeps them (registry.alerts is a store).
import type { AlertEventRecord, AlertStatusRecord } from '../../registry/index.js';
import type { AlertRule, AlertWebhook } from './alert-rules.js';

/** What the evaluator asks a metric source for: one metric of some requests, over [since, until) in epoch ms. */
export interface MetricQuery {
  metric: AlertRule['metric'];
  /** The score name, for score_mean. */
  score?: string;
  /** All tasks when absent. */
  task?: string;
  version?: string;
  label?: string;
  since: number;
  until: number;
}

/** A metric's value over a window and how many requests (or scores) it rests on. */
export interface MetricReading {
  /** Undefined when there is nothing to compute it from. */
  value: number | undefined;
  count: number;
  /** Anything that explains the value, e.g. which drift feature moved; passed on in notifications. */
  detail?: Record<string, unknown>;
}

/** Computes metric values over windows (from the registry's request log, say). */
export interface AlertMetricSource {
  /** Reads one metric; may throw, which the evaluator reports as that rule's error. */
  read(query: MetricQuery): Promise<MetricReading>;
}

/** A rule's state: `pending` is a condition that has not yet held for the rule's `for`. */
export type AlertState = AlertStatusRecord['state'];

/** Where a rule stands after its latest evaluation (the shape the registry keeps). */
export type AlertStatus = AlertStatusRecord;

/** A rule starting to fire, or resolving: what the store's history keeps and webhooks are told. */
export type AlertEvent = AlertEventRecord;

/** Keeps each rule's status and the history of its events, so a restarted evaluator resumes. */
export interface AlertStateStore {
  /** Every status saved, one per rule (in no particular order). */
  load(): Promise<AlertStatus[]>;
  /** Replaces the rule's status. */
  save(status: AlertStatus): Promise<void>;
  /** Appends an event to the history. */
  record(event: AlertEvent): Promise<void>;
  /**
   * Moves a rule from `expected` (none stored reads as ok) to `status` with `event`, all or nothing;
   * false, changing nothing, when another evaluator on the same store moved it first.
   */
  transition(status: AlertStatus, expected: AlertState, event?: AlertEvent): Promise<boolean>;
  /** Forgets a rule's state while it is `expected`, recording `event` with it; false when it was not. */
  forget(rule: string, expected: AlertState, event?: AlertEvent): Promise<boolean>;
  /** Events newest first (by `at`, then by recording order), of one rule or all; at most `limit` (default 100). */
  history(options: { rule?: string; limit?: number }): Promise<AlertEvent[]>;
}

/**
 * An event on its way out: the event, the rule it is about (undefined for a rule no longer in the
 * rules file, resolved as it is forgotten) and the webhooks to tell (file's and rule's).
 */
export interface AlertNotification {
  event: AlertEvent;
  rule: AlertRule | undefined;
  webhooks: AlertWebhook[];
}

/** What one evaluation of one rule found and did. */
export interface AlertEvaluation {
  rule: string;
  /** The state after this evaluation, and before it. */
  state: AlertState;
  previous: AlertState;
  /**
   * `insufficient-data`: no value, or fewer than minCount requests; `error`: reading or storing failed;
   * `superseded`: another evaluator on the same store (a replica) moved the rule first, so this one
   * changed and sent nothing, and takes the stored state.
   */
  outcome: 'evaluated' | 'insufficient-data' | 'error' | 'superseded';
  value: number | undefined;
  count: number;
  /** The event this evaluation recorded and delivered, if the rule started firing or resolved. */
  event?: AlertEvent;
  error?: string;
}
