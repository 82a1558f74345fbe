// A task's examples by split: declared split files, or one file split by the spec's seeded ratios.
import { ValidationError } from '../errors/index.js';
import { readExamples, seededSplit, type Example } from './dataset.js';
import type { Task } from './load-task.js';

/** The splits a task's data is divided into. */
export type SplitName = 'train' | 'dev' | 'test';

/** The examples of one split of a task. */
export function loadSplit(task: Task, split: SplitName): Example[] {
  const targetField = task.spec.data.targetField;
  const shape = {
    inputFields: task.spec.input.fields,
    targetField,
    // templates render structured inputs as JSON; a text or label target must be text
    textFields: task.spec.output.kind === 'json' ? [] : [targetField],
  };
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
