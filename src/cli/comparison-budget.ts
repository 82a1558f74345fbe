// What every method of a comparison shared: its budget (epochs, batch size, seed), each method's learning
// rate and the methods' shapes, as terms and values. The --report page lists them; compare-methods prints
// them under its table, so a table read in the terminal or pasted elsewhere says what its numbers cost.
// It does not say when or on what machine they were measured (the page does).
import { SOURCE_LEARNING_RATE, SOURCE_TASK_RANK } from './comparison-source.js';
import type { MethodMeasurement } from './method-measurement.js';
import { METHOD_NAMES, type Method } from './soft-methods.js';

/** The settings every method trained with. */
export interface ComparisonBudget {
  epochs: number;
  batchSize: number;
  seed: number;
  virtualTokens: string | number;
  rank: string | number;
}

const promptMethods: Method[] = ['prompt-tuning', 'p-tuning', 'multitask-prompt-tuning', 'prefix-tuning'];

/** The shared settings as [term, value] pairs: budget, learning rates, and the measured methods' shapes. */
export function comparisonBudget(
  measurements: MethodMeasurement[],
  budget: ComparisonBudget,
): [string, string][] {
  const measured = [...new Set(measurements.map((item) => item.method))];
  const rates = [...new Map(measurements.map((item) => [item.method, item.learningRate])).entries()]
    .map(([method, rate]) => `${METHOD_NAMES[method]} ${rate}`)
    .join(', ');
  return [
    [
      'budget',
      `${budget.epochs} epoch${budget.epochs === 1 ? '' : 's'} of batch ${budget.batchSize} at every size, seed ${budget.seed}`,
    ],
    ['learning rates (each method its default)', rates],
    // a method's settings where the method was measured
    ...(measured.some((method) => promptMethods.includes(method))
      ? [
          [
            'prompt methods',
            `${budget.virtualTokens} virtual tokens or prefix positions, init sample-vocab`,
          ] as [string, string],
        ]
      : []),
    ...(measured.includes('lora')
      ? [['LoRA', `rank ${budget.rank} on q, k, v, o, gate, up, down`] as [string, string]]
      : []),
    ...(measurements.some((item) => item.sourceTasks)
      ? [
          [
            'multitask prompt tuning',
            `each task started from a multitask prompt of the other tasks (rank-${SOURCE_TASK_RANK} factors, lr ${SOURCE_LEARNING_RATE}, the same budget, all their examples), their factors' mean`,
          ] as [string, string],
        ]
      : []),
  ];
}

/**
 * The shared settings as lines to print under the table, with what the table's single numbers are
 * (its largest size's), since only the accuracy columns give every size.
 */
export function comparisonBudgetLines(measurements: MethodMeasurement[], budget: ComparisonBudget): string[] {
  if (measurements.length === 0) return [];
  return [
    ...comparisonBudget(measurements, budget).map(([term, value]) => `${term}: ${value}`),
    "Parameters, s/step, training s, peak RSS, perplexity and serving cost are each row's largest training set's; accuracy is test accuracy (a share of the test split) at each size.",
  ];
}
