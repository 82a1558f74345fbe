import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import { parseAlertRules, readAlertRules } from './alert-rules.js';
import { formatDuration, parseDuration } from '../durations.js';

const valid = `
interval: 1m
webhooks:
  - url: http://127.0.0.1:9000/hook
    headers: { Authorization: "Bearer secret" }
rules:
  - name: sentiment-errors
    task: sentiment
    metric: error_rate
    window: 5m
    comparison: ">"
    threshold: 0.05
    minCount: 20
    for: 1h30m
    severity: critical
    webhooks:
      - url: https://hooks.example.com/alerts
  - name: helpful.low
    task: sentiment
    label: production
    metric: score_mean
    score: helpful
    window: 1d
    comparison: "<="
    threshold: 0.7
`;

/** The ValidationError parseAlertRules throws for `text`. */
function failure(text: string): ValidationError {
  try {
    parseAlertRules(text, 'alerts.yaml');
  } catch (error) {
    if (ValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the rules to be refused');
}

/** A one-rule file with `line` replacing (or, for a new key, added to) the valid rule's fields. */
function withRule(line: string): string {
  const fields: Record<string, string> = {
    name: 'name: latency',
    metric: 'metric: latency_p95',
    window: 'window: 5m',
    comparison: 'comparison: ">"',
    threshold: 'threshold: 2',
  };
  const key = line.split(':')[0].trim();
  if (line.startsWith('-')) delete fields[line.slice(1)];
  else fields[key] = line;
  return `rules:\n  - ${Object.values(fields).join('\n    ')}\n`;
}

describe('parseAlertRules', () => {
  it('reads a valid file, durations in ms, defaults filled in', () => {
    const rules = parseAlertRules(valid, 'alerts.yaml');
    expect(rules.interval).toBe(60_000);
    expect(rules.webhooks).toEqual([
      { url: 'http://127.0.0.1:9000/hook', headers: { Authorization: 'Bearer secret' } },
    ]);
    expect(rules.rules[0]).toEqual({
      name: 'sentiment-errors',
      task: 'sentiment',
      metric: 'error_rate',
      window: 300_000,
      comparison: '>',
      threshold: 0.05,
      minCount: 20,
      for: 5_400_000,
      severity: 'critical',
      webhooks: [{ url: 'https://hooks.example.com/alerts', headers: {} }],
    });
    expect(rules.rules[1]).toMatchObject({
      name: 'helpful.low',
      label: 'production',
      score: 'helpful',
      window: 86_400_000,
      minCount: 0,
      for: 0,
      severity: 'warning',
      webhooks: [],
    });
  });

  it('defaults the interval to 30s and takes JSON too', () => {
    const rules = parseAlertRules(
      JSON.stringify({
        rules: [
          {
            name: 'a',
            task: 'qa',
            version: 3,
            metric: 'requests',
            window: '1m',
            comparison: '<',
            threshold: 1,
          },
        ],
      }),
      'alerts.json',
    );
    expect(rules.interval).toBe(30_000);
    expect(rules.rules[0].version).toBe('3');
  });

  const cases: { name: string; text: string; message: RegExp; hint?: RegExp }[] = [
    {
      name: 'an unknown rule field',
      text: withRule('treshold: 2'),
      message: /alerts\.yaml:7: rules\[0\] "latency": unknown field "treshold"/,
      hint: /threshold/,
    },
    {
      name: 'an unknown top-level field',
      text: `intervall: 1m\n${withRule('name: a')}`,
      message: /unknown field "intervall"/,
    },
    {
      name: 'an unknown webhook field',
      text: withRule('webhooks: [{ url: "http://x.example/h", secret: "s" }]'),
      message: /rules\[0\] "latency": unknown field "webhooks\.0\.secret"/,
    },
    {
      name: 'a duration without a unit',
      text: withRule('window: 300'),
      message: /alerts\.yaml:4: rules\[0\] "latency": field window: expected a duration .*, found 300/,
      hint: /30s, 5m/,
    },
    {
      name: 'a duration in words',
      text: withRule('window: 5 minutes'),
      message: /field window: .*found "5 minutes"/,
    },
    {
      name: 'an empty window',
      text: withRule('window: 0s'),
      message: /field window: must be longer than 0s/,
    },
    {
      name: 'a missing window',
      text: withRule('-window'),
      message: /rules\[0\] "latency": field window: required/,
    },
    { name: 'a bad for', text: withRule('for: soon'), message: /field for: expected a duration/ },
    {
      name: 'an interval too long',
      text: `interval: 2d\n${withRule('name: a')}`,
      message: /field interval: must be at most 1d/,
    },
    {
      name: 'an unknown metric',
      text: withRule('metric: latency_p90'),
      message: /field metric: Invalid option.*found "latency_p90"/,
      hint: /latency_p95/,
    },
    {
      name: 'a bad comparison',
      text: withRule('comparison: "=="'),
      message: /field comparison: .*found "=="/,
      hint: /quote/,
    },
    {
      name: 'a threshold as text',
      text: withRule('threshold: "high"'),
      message: /field threshold: .*expected number/,
    },
    { name: 'a missing threshold', text: withRule('-threshold'), message: /field threshold: required/ },
    { name: 'a fractional minCount', text: withRule('minCount: 2.5'), message: /field minCount: / },
    { name: 'a bad severity', text: withRule('severity: page'), message: /field severity: .*found "page"/ },
    {
      name: 'a bad name',
      text: withRule('name: Latency Rule'),
      message: /rules\[0\] "Latency Rule": field name: expected lowercase/,
    },
    {
      name: 'score_mean without a score',
      text: withRule('metric: score_mean'),
      message: /field score: required for the metric score_mean/,
    },
    {
      name: 'a score on another metric',
      text: withRule('score: helpful'),
      message: /field score: only the metric score_mean/,
    },
    {
      name: 'drift without a task',
      text: withRule('metric: drift'),
      message: /field task: required for the metric drift/,
    },
    {
      name: 'a label without a task',
      text: withRule('label: production'),
      message: /field label: needs a task/,
    },
    {
      name: 'a webhook that is not http',
      text: withRule('webhooks: [{ url: "ftp://x.example/h" }]'),
      message: /field webhooks\.0\.url: expected an http:\/\/ or https:\/\/ URL/,
    },
    {
      name: 'header values that are not text',
      text: withRule('webhooks: [{ url: "http://x.example/h", headers: { A: [1] } }]'),
      message: /field webhooks\.0\.headers\.A/,
    },
    {
      name: 'a duplicate name',
      text: `rules:\n  - { name: a, metric: requests, window: 1m, comparison: "<", threshold: 1 }\n  - { name: a, metric: cost, window: 1m, comparison: ">", threshold: 9 }\n`,
      message: /alerts\.yaml:3: rules\[1\] "a": field name: "a" is already the name of rules\[0\]/,
    },
    { name: 'no rules', text: 'interval: 1m\n', message: /field rules: required/ },
    { name: 'an empty file', text: '\n# nothing\n', message: /alerts\.yaml: the file is empty/ },
    { name: 'a YAML syntax error', text: 'rules: [\n  {name: a\n', message: /^alerts\.yaml:\d+:\d+: / },
    {
      name: 'a duplicate key',
      text: 'interval: 1m\ninterval: 2m\nrules: []\n',
      message: /alerts\.yaml:2:1: .*unique/,
    },
  ];
  it.each(cases)('refuses $name, naming the field', ({ text, message, hint }) => {
    const error = failure(text);
    expect(error.code).toBe('ALERT_RULES_INVALID');
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
    if (hint) expect(error.hint).toMatch(hint);
  });

  it('refuses a version without a task', () => {
    const text = JSON.stringify({
      rules: [{ name: 'a', metric: 'requests', window: '1m', comparison: '<', threshold: 1, version: 3 }],
    });
    expect(failure(text).message).toMatch(/rules\[0\] "a": field version: needs a task/);
  });
});

describe('readAlertRules', () => {
  const directory = mkdtempSync(join(tmpdir(), 'promptune-alert-rules-'));

  it('reads a file', () => {
    const path = join(directory, 'alerts.yaml');
    writeFileSync(path, valid);
    expect(readAlertRules(path).rules.map((rule) => rule.name)).toEqual(['sentiment-errors', 'helpful.low']);
  });

  it('names the file in errors', () => {
    const path = join(directory, 'bad.yaml');
    writeFileSync(path, withRule('window: 5'));
    expect(() => readAlertRules(path)).toThrow(`${path}:4: rules[0] "latency": field window`);
  });

  it('refuses text that is not UTF-8', () => {
    const path = join(directory, 'latin1.yaml');
    writeFileSync(path, Buffer.from([0x72, 0x75, 0x6c, 0x65, 0x73, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(() => readAlertRules(path)).toThrow(/not valid UTF-8/);
  });

  it('reports a missing file as not found', () => {
    let caught: unknown;
    try {
      readAlertRules(join(directory, 'missing.yaml'));
    } catch (error) {
      caught = error;
    }
    expect(NotFoundError.isInstance(caught) && caught.code).toBe('ALERT_RULES_NOT_FOUND');
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    ['1h30m', 5_400_000],
    ['0s', 0],
  ])('reads %s', (text, milliseconds) => {
    expect(parseDuration(text)).toBe(milliseconds);
    expect(parseDuration(formatDuration(milliseconds))).toBe(milliseconds);
  });

  it.each(['', '5', '5 m', '1.5h', '-1s', '1w', '30s1m', '1m1m', '9999999999999999d'])(
    'refuses %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(/expected a duration/);
    },
  );

  it('writes durations back', () => {
    expect([formatDuration(90_000), formatDuration(0), formatDuration(1_500)]).toEqual([
      '1m30s',
      '0s',
      '1s500ms',
    ]);
  });
});
