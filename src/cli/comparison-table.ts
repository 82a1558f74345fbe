// The comparison as rows of text: compare-methods prints them as a Markdown table and its --report page
// holds them, one row per task and method (the frozen model's first), each method's numbers at its
// largest training set (its training's seconds, dev evaluations included, beside the median step's) and
// its accuracies at every size.
import type { MethodMeasurement } from './method-measurement.js';
import { METHOD_NAMES } from './soft-methods.js';

/**
 * One row per task and method: the numbers at the largest size, accuracy at every size (smallest first;
 * `trainSizes`, each task's whole training split, marks the size that is all of it). Each task's first row
 * is the frozen model's (no tuning), when measured; label accuracy is a column when a task has labels.
 */
export function comparisonRows(
  measurements: MethodMeasurement[],
  trainSizes: Record<string, number> = {},
): string[][] {
  const groups = new Map<string, MethodMeasurement[]>();
  for (const measurement of measurements) {
    const key = `${measurement.task}\u0000${methodName(measurement)}`;
    groups.set(key, [...(groups.get(key) ?? []), measurement]);
  }
  const labelled = measurements.some((item) => item.testLabelAccuracy !== undefined);
  const header = [
    'task',
    'method',
    'trainable parameters',
    's/step',
    'training s',
    'peak RSS MB',
    'test exact match by train size',
    ...(labelled ? ['label accuracy by train size'] : []),
    'held-out perplexity before → after',
    'KiB per served task',
    'extra per request',
  ];
  const size = (item: MethodMeasurement) =>
    `${item.trainExamples}${trainSizes[item.task] === item.trainExamples ? ' (all)' : ''}`;
  // no number (a journal's null, read back as NaN) reads as a dash, not "NaN"
  const share = (value: number | undefined) =>
    value === undefined || Number.isNaN(value) ? '–' : value.toFixed(3);
  const rows: string[][] = [];
  let task: string | undefined;
  for (const unsorted of groups.values()) {
    const group = [...unsorted].sort((a, b) => a.trainExamples - b.trainExamples);
    const largest = group.at(-1)!;
    const { serving, frozen } = largest;
    // the frozen model first, once per task: what tuning has to beat
    if (largest.task !== task && frozen) {
      const none = 'no tuning (the frozen model)';
      rows.push([
        largest.task,
        none,
        '0',
        '–',
        '–',
        '–',
        share(frozen.testAccuracy),
        ...(labelled ? [share(frozen.testLabelAccuracy)] : []),
        '–',
        '0.0',
        'none',
      ]);
    }
    task = largest.task;
    rows.push([
      largest.task,
      methodName(largest),
      largest.trainableParameters.toLocaleString('en-US'),
      largest.secondsPerStep.toFixed(3),
      largest.trainingSeconds === undefined
        ? '–'
        : largest.trainingSeconds.toFixed(largest.trainingSeconds < 10 ? 1 : 0),
      largest.peakResidentMegabytes.toFixed(0),
      group.map((item) => `${size(item)}: ${share(item.testAccuracy)}`).join(', '),
      ...(labelled
        ? [
            group.some((item) => item.testLabelAccuracy !== undefined)
              ? group.map((item) => `${size(item)}: ${share(item.testLabelAccuracy)}`).join(', ')
              : '–',
          ]
        : []),
      `${largest.heldOutPerplexity.before.toFixed(2)} → ${largest.heldOutPerplexity.after.toFixed(2)}`,
      (serving.bytesPerTask / 1024).toFixed(1),
      extraPerRequest(serving),
    ]);
  }
  return [header, ...rows];
}

/**
 * What a request costs beyond the frozen model's, in one unit for every method (multiply-adds a token),
 * with a prompt's positions beside it: "16 positions, 10,240 multiply-adds/token".
 */
export function extraPerRequest(serving: MethodMeasurement['serving']): string {
  if (!serving.sharesModel) return 'a model of its own';
  const work = `${serving.extraMultiplyAddsPerToken.toLocaleString('en-US')} multiply-adds/token`;
  const positions = `${serving.extraPositionsPerRequest} positions`;
  // a journal from before attention was counted says 0 for a prompt: its positions alone
  if (!serving.extraPositionsPerRequest) return work;
  return serving.extraMultiplyAddsPerToken ? `${positions}, ${work}` : positions;
}

/**
 * A row's method by name: "multitask prompt tuning (from animal, gender)" for a transferred one, "(one
 * task)" for one trained from scratch on its task alone.
 */
export function methodName(measurement: MethodMeasurement): string {
  const name = METHOD_NAMES[measurement.method];
  if (measurement.sourceTasks) return `${name} (from ${measurement.sourceTasks.join(', ')})`;
  return measurement.method === 'multitask-prompt-tuning' ? `${name} (one task)` : name;
}

/** The comparison as a Markdown table. */
export function comparisonTable(
  measurements: MethodMeasurement[],
  trainSizes: Record<string, number> = {},
): string {
  const [header, ...rows] = comparisonRows(measurements, trainSizes);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
