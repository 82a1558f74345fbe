// The alert rules file (YAML, or JSON, which YAML reads too): how often rules are evaluated, where
// notifications go, and each rule's metric, window, comparison and threshold. Every mistake is a
// ValidationError (ALERT_RULES_INVALID) naming the file, the line, the rule and the field, with a hint.
// It does not evaluate rules (alert-evaluator.ts) or send anything (webhook-delivery.ts).
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { decodeText, readInputFile, ValidationError } from '../../errors/index.js';
import { durationMilliseconds } from '../durations.js';

/** The metrics a rule can watch, as the metric source computes them over the rule's window. */
export const alertMetrics = [
  'requests',
  'error_rate',
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'ttft_p95',
  'tokens',
  'cost',
  'score_mean',
  'drift',
] as const;

/** How a rule compares the metric with its threshold. */
export const alertComparisons = ['>', '>=', '<', '<='] as const;

/** How urgent a rule's notifications are. */
export const alertSeverities = ['info', 'warning', 'critical'] as const;

/** Where a rule's notifications are POSTed. */
export interface AlertWebhook {
  url: string;
  /** Sent with every POST, e.g. `Authorization`. */
  headers: Record<string, string>;
}

/** One alert rule, with its durations in milliseconds. */
export interface AlertRule {
  /** Unique within the file: lowercase letters, digits, ".", "_" and "-". */
  name: string;
  /** The task watched; all tasks when absent. `version` or `label` narrow it to one version. */
  task?: string;
  version?: string;
  label?: string;
  metric: (typeof alertMetrics)[number];
  /** The score name, for (and only for) the metric score_mean. */
  score?: string;
  /** The metric is read over [now - window, now). */
  window: number;
  comparison: (typeof alertComparisons)[number];
  threshold: number;
  /** Fewer requests (or scores) than this in the window: the rule is not evaluated. Default 0. */
  minCount: number;
  /** How long the condition must hold before the rule fires (0: at once). */
  for: number;
  severity: (typeof alertSeverities)[number];
  /** Webhooks of this rule, in addition to the file's. */
  webhooks: AlertWebhook[];
}

/** A whole rules file, with its durations in milliseconds. */
export interface AlertRules {
  /** How often the rules are evaluated. Default 30 s. */
  interval: number;
  /** Webhooks every rule notifies. */
  webhooks: AlertWebhook[];
  rules: AlertRule[];
}

const longestInterval = 86_400_000;

/** A duration field: text such as `5m`, read as milliseconds. */
function duration(options: { default?: string; positive?: boolean; maximum?: number }) {
  return z
    .unknown()
    .optional()
    .transform((input, context) => {
      const text = input === undefined ? options.default : input;
      const milliseconds = typeof text === 'string' ? durationMilliseconds(text) : undefined;
      const problem =
        text === undefined
          ? 'required'
          : milliseconds === undefined
            ? 'expected a duration such as 30s, 5m, 1h or 1d'
            : options.positive && milliseconds === 0
              ? 'must be longer than 0s'
              : options.maximum !== undefined && milliseconds > options.maximum
                ? 'must be at most 1d'
                : undefined;
      if (problem === undefined) return milliseconds as number;
      context.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    });
}

const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  headers: z.record(z.string(), z.string()).default({}),
});

const ruleSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9._-]+$/, 'expected lowercase letters, digits, ".", "_" and "-"'),
    task: z.string().min(1).optional(),
    version: z
      .union([z.string().min(1), z.number().int().positive()], { error: 'expected a version id or number' })
      .transform(String)
      .optional(),
    label: z.string().min(1).optional(),
    metric: z.enum(alertMetrics),
    score: z.string().min(1).optional(),
    window: duration({ positive: true }),
    comparison: z.enum(alertComparisons),
    threshold: z.number(),
    minCount: z.number().int().min(0).default(0),
    for: duration({ default: '0s' }),
    severity: z.enum(alertSeverities).default('warning'),
    webhooks: z.array(webhookSchema).default([]),
  })
  .superRefine((rule, context) => {
    if (rule.metric === 'score_mean' && rule.score === undefined)
      context.addIssue({ code: 'custom', path: ['score'], message: 'required for the metric score_mean' });
    if (rule.metric !== 'score_mean' && rule.score !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['score'],
        message: 'only the metric score_mean takes a score',
      });
    if (rule.metric === 'drift' && rule.task === undefined)
      context.addIssue({
        code: 'custom',
        path: ['task'],
        message: "required for the metric drift (the task's training data is the reference)",
      });
    for (const field of ['version', 'label'] as const)
      if (rule[field] !== undefined && rule.task === undefined)
        context.addIssue({ code: 'custom', path: [field], message: 'needs a task' });
    if (rule.version !== undefined && rule.label !== undefined)
      context.addIssue({ code: 'custom', path: ['label'], message: 'give a version or a label, not both' });
  });

const rulesSchema = z
  .strictObject({
    interval: duration({ default: '30s', positive: true, maximum: longestInterval }),
    webhooks: z.array(webhookSchema).default([]),
    rules: z.array(ruleSchema),
  })
  .superRefine((file, context) => {
    const seen = new Map<string, number>();
    file.rules.forEach((rule, index) => {
      const first = seen.get(rule.name);
      if (first === undefined) seen.set(rule.name, index);
      else
        context.addIssue({
          code: 'custom',
          path: ['rules', index, 'name'],
          message: `${JSON.stringify(rule.name)} is already the name of rules[${first}]`,
        });
    });
  });

const ruleFields = Object.keys(ruleSchema.shape).join(', ');
const hints: Record<string, string> = {
  metric: `Metrics are: ${alertMetrics.join(', ')}.`,
  comparison:
    'Comparisons are >, >=, < and <=; quote them in YAML (comparison: ">"): a bare > starts a folded block.',
  severity: `Severities are: ${alertSeverities.join(', ')}.`,
  window: 'Write durations as a whole number and a unit: 30s, 5m, 1h, 1d.',
  for: 'Write durations as a whole number and a unit: 0s, 30s, 5m, 1h.',
  interval: 'Write the interval as a whole number and a unit, between 1ms and 1d: 30s, 1m.',
  score: 'Name the score (e.g. score: helpful) with metric score_mean, and only then.',
  url: 'Webhook URLs are http:// or https:// addresses, e.g. http://127.0.0.1:9000/hook.',
  name: 'Rule names are unique and use lowercase letters, digits, ".", "_" and "-".',
};
const generalHint = `A rules file has interval, webhooks and rules; each rule takes ${ruleFields}.`;

const errorMap = (issue: z.core.$ZodRawIssue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;

/** Parses the text of a rules file; `source` (usually its path) names it in errors. */
export function parseAlertRules(text: string, source: string): AlertRules {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw invalid(
      `${source}:${line}:${col}: ${error.message.split('\n')[0]}`,
      'Fix the YAML syntax at that line.',
    );
  }
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // too many aliases (a "billion laughs" file) or nesting deeper than the stack
    throw invalid(`${source}: the YAML cannot be read: ${(error as Error).message}`, generalHint);
  }
  if (value === null || value === undefined) throw invalid(`${source}: the file is empty`, generalHint);
  const parsed = rulesSchema.safeParse(value, { error: errorMap });
  if (parsed.success) return parsed.data satisfies AlertRules;
  // an unknown key first: it is often a misspelt one, which also makes the right one missing
  const issues = [...parsed.error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const described = issues.slice(0, 3).map((issue) => describe(issue, value, document, lineCounter, source));
  const more = issues.length > 3 ? `; and ${issues.length - 3} more` : '';
  throw invalid(described.join('; ') + more, hintFor(issues[0]));
}

/** Reads and parses a rules file (.yaml, .yml or .json). */
export function readAlertRules(path: string): AlertRules {
  const source = { where: `alert rules ${path}`, code: 'ALERT_RULES_INVALID' };
  const bytes = readInputFile(path, {
    ...source,
    hint: generalHint,
    notFoundCode: 'ALERT_RULES_NOT_FOUND',
    notFoundHint: 'Pass the path of an alert rules file (YAML).',
  });
  return parseAlertRules(decodeText(bytes, { ...source, hint: 'Save the rules file as UTF-8.' }), path);
}

function invalid(message: string, hint: string): ValidationError {
  return new ValidationError(message, { code: 'ALERT_RULES_INVALID', hint });
}

/** `file:line: rules[2] "name": field window: message, found "5 minutes"`. */
function describe(
  issue: z.core.$ZodIssue,
  value: unknown,
  document: Document,
  lineCounter: LineCounter,
  source: string,
): string {
  const path = issue.path as (string | number)[];
  const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const located = unknownKeys.length > 0 ? [...path, unknownKeys[0]] : path;
  const line = lineOf(document, lineCounter, located);
  const where = `${source}${line === undefined ? '' : `:${line}`}`;
  let rule = '';
  let field = path;
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    const name = (valueAt(value, path.slice(0, 2)) as { name?: unknown } | undefined)?.name;
    rule = `rules[${path[1]}]${typeof name === 'string' ? ` ${JSON.stringify(name)}` : ''}: `;
    field = path.slice(2);
  }
  if (unknownKeys.length > 0) {
    const keys = unknownKeys.map((key) => `"${[...field, key].map(String).join('.')}"`).join(', ');
    return `${where}: ${rule}unknown field${unknownKeys.length > 1 ? 's' : ''} ${keys}`;
  }
  const found = valueAt(value, path);
  const shown =
    issue.message === 'required' || found === undefined || typeof found === 'object'
      ? ''
      : `, found ${JSON.stringify(found)}`;
  const named = field.length > 0 ? `field ${field.map(String).join('.')}: ` : '';
  return `${where}: ${rule}${named}${issue.message}${shown}`;
}

function hintFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const inRule = issue.path[0] === 'rules' && issue.path.length === 2;
    return inRule ? `Each rule takes ${ruleFields}.` : generalHint;
  }
  const last = issue.path.at(-1);
  return (typeof last === 'string' && hints[last]) || generalHint;
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** The line of the deepest node along `path` that the document has. */
function lineOf(document: Document, lineCounter: LineCounter, path: (string | number)[]): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length), true) as
      { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
