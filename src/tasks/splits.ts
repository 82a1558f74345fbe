// A task's examples by split: declared split files, or one file split by the spec's seeded ratios.
import { ValidationError } from '../errors/index.js';
import { readExamples, seededSplit, type Example, type ExampleShape } from './dataset.js';
import type { Task } from './load-task.js';
import type { TaskSpec } from './spec.js';
import { foldLabel } from './metrics/label.js';

/** The splits a task's data is divided into. */
export type SplitName = 'train' | 'dev' | 'test';

/** What a task's examples must hold: its input fields, and a target that is text unless the output is JSON. */
export function exampleShape(spec: TaskSpec): ExampleShape {
  const targetField = spec.data.targetField;
  return {
    inputFields: spec.input.fields,
    targetField,
    // templates render structured inputs as JSON; a text or label target must be text
    textFields: spec.output.kind === 'json' ? [] : [targetField],
  };
}

/** The examples of one split of a task. */
export function loadSplit(task: Task, split: SplitName): Example[] {
  const shape = exampleShape(task.spec);
  const declared = task.files[split];
  if (declared) return readExamples(declared, shape);
  if (task.files.file && task.spec.data.split) {
    const { seed, train, dev, test } = task.spec.data.split;
    return seededSplit(readExamples(task.files.file, shape), { train, dev, test }, seed)[split];
  }
  throw new ValidationError(`task ${task.spec.name} has no ${split} split`, {
    code: 'TASK_NO_SPLIT',
    hint: `Add data.${split} to the task spec, or data.file with data.split ratios.`,
  });
}

/**
 * The examples of a label task whose target is none of its labels (compared trimmed, composed and in any case, as
 * a label's metric would still miss them): they can never be answered right, so a split that has them
 * is most likely another task's data or a typo. None for other kinds of output.
 */
export function targetsOutsideLabels(spec: TaskSpec, examples: Example[]): Example[] {
  if (spec.output.kind !== 'label') return [];
  // as the label metric reads them, in any case: "é" as one code point or as e + U+0301 alike
  const fold = (text: string) => foldLabel(text, false);
  const labels = new Set(spec.output.labels.map(fold));
  return examples.filter(
    (example) => typeof example.target !== 'string' || !labels.has(fold(example.target)),
  );
}
