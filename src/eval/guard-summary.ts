// The guard part of an evaluation report: per validator, how often the first answer passed and what
// the policies did (fixed, re-asked, refused, ...), and the parse rate of the final outputs. Computed
// from the per-call check records; nothing is re-checked here.
import { finalVerdicts } from '../guard/index.js';
import type { ExampleResult } from './harness.js';

/** One validator over a run. */
export interface ValidatorSummary {
  stage: 'input' | 'output';
  /** Calls it checked (their first answer). */
  checked: number;
  /** Share of calls whose first answer (or input) passed. */
  passRate: number;
  /** Share of calls whose final answer passed: what the policies (fix, re-ask, ...) made of them. */
  finalPassRate: number;
  /** How many failures each action handled (`fixed`, `reask`, `refused`, ...). */
  actions: Record<string, number>;
}

/** Per-validator summaries of a run's check records (empty without guards). */
export function summarizeChecks(examples: readonly ExampleResult[]): Record<string, ValidatorSummary> {
  const summaries: Record<string, ValidatorSummary & { finalPassed: number; passed: number }> = {};
  for (const calls of examples.map((example) => example.checks ?? []))
    for (const checks of calls) {
      for (const check of checks) {
        const summary = (summaries[check.validator] ??= {
          stage: check.stage,
          checked: 0,
          passRate: 0,
          finalPassRate: 0,
          actions: {},
          passed: 0,
          finalPassed: 0,
        });
        if (check.attempt === 0) {
          summary.checked++;
          if (check.passed) summary.passed++;
        }
        if (!check.passed) summary.actions[check.action] = (summary.actions[check.action] ?? 0) + 1;
      }
      for (const [validator, passed] of finalVerdicts(checks)) if (passed) summaries[validator].finalPassed++;
    }
  return Object.fromEntries(
    Object.entries(summaries).map(([name, { passed, finalPassed, ...summary }]) => [
      name,
      {
        ...summary,
        passRate: summary.checked ? passed / summary.checked : 0,
        finalPassRate: summary.checked ? finalPassed / summary.checked : 0,
      },
    ]),
  );
}

/** Share of outputs that read as the task's typed value; undefined for text tasks. */
export function parseRate(examples: readonly ExampleResult[]): number | undefined {
  const flags = examples.flatMap((example) => example.parsed ?? []).filter((flag) => flag !== undefined);
  return flags.length ? flags.filter(Boolean).length / flags.length : undefined;
}
