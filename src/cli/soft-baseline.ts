// `soft train --baseline <spec>`: the spec's hand-written prompt scored on the test split the tuned
// prompt is scored on (--data's), by the same measure (exact match), so "before" and "after" are one
// comparison; and what a run says when tuning did worse than it.
import { existsSync } from 'node:fs';
import { evaluate, summarize } from '../eval/index.js';
import { PromptuneError, ValidationError } from '../errors/index.js';
import { resolveModel } from '../providers/index.js';
import { exampleShape, readExamples, type Task } from '../tasks/index.js';
import { quotedFew } from './soft-data.js';

/**
 * The exact match of `task`'s prompt on the examples of `testPath` (its score when the spec has no
 * exact-match metric), by the local model at `modelPath`. A test split the spec's fields do not fit is
 * refused naming --baseline.
 */
export async function scoreBaseline(task: Task, testPath: string, modelPath: string): Promise<number> {
  let examples;
  try {
    examples = readExamples(testPath, exampleShape(task.spec));
  } catch (caught) {
    if (!PromptuneError.isInstance(caught) || caught.code !== 'DATASET_MISSING_FIELD') throw caught;
    throw new ValidationError(
      `--baseline's spec (${task.spec.name}) cannot read --data's test split: ${caught.message}`,
      {
        code: caught.code,
        hint: "The hand-written prompt is scored on --data's test split with the spec's input fields and target: name them alike, or drop --baseline.",
      },
    );
  }
  const model = await resolveModel(`local:${modelPath}`);
  const report = summarize(await evaluate({ task, split: 'test', examples, model }));
  return report.metrics['exact-match'] ?? report.score;
}

/**
 * Checks, before training, that --baseline's spec is --data's task. A label spec none of whose labels is
 * among --data's training targets (compared as its label metric does: trimmed, case folded) is another
 * task's, given by mistake: it would name the version --push registers, so with --push it is refused,
 * without it said on stderr. A free-text spec whose training answers repeat (names, short answers) and
 * share none with --data's may still be the task (new data of it): that is only said.
 */
export function checkBaselineData(task: Task, targets: string[], push: boolean): void {
  const { spec } = task;
  const label = spec.output.kind === 'label';
  const known: string[] | undefined =
    spec.output.kind === 'label'
      ? spec.output.labels
      : spec.output.kind === 'text' && task.files.train && existsSync(task.files.train)
        ? readExamples(task.files.train, exampleShape(spec)).map((example) => String(example.target))
        : undefined;
  if (!known?.length || !targets.length) return;
  // free-form answers (a summary each) share none by nature: only a spec whose answers repeat (names,
  // short answers) tells another task by them
  if (!label && new Set(known).size > known.length / 2) return;
  const fold = (text: string) => text.trim().toLowerCase();
  const words = new Set(known.map(fold));
  if (targets.some((target) => words.has(fold(target)))) return;
  const kind = label ? 'labels' : 'training targets';
  const message = `--baseline's spec (task ${spec.name}) may not be --data's task: none of --data's training targets (${JSON.stringify(targets[0].trim())}, …) is among its ${kind} (${quotedFew(known.map((word) => word.trim()))})`;
  if (push && label)
    throw new ValidationError(message, {
      code: 'SOFT_BASELINE_OTHER_TASK',
      hint: `--push would register this training as a version of ${spec.name}, which answers only its labels: give --baseline the spec of --data's task, or drop --push.`,
    });
  process.stderr.write(
    `${message}; its prompt is scored on --data's test split all the same${push ? `, and --push registers the training as a version of ${spec.name}` : ''}\n`,
  );
}

/** Says, on stderr, when the tuned prompt scored below the hand-written one (and that a push kept it). */
export function warnBelowBaseline(
  method: string,
  test: number | undefined,
  baseline: number | undefined,
  pushed: string | undefined,
): void {
  if (test === undefined || baseline === undefined || test >= baseline) return;
  process.stderr.write(
    `${method} scored ${test.toFixed(3)} on test, below the hand-written prompt's ${baseline.toFixed(3)}${pushed ? `: ${pushed} is registered all the same; compare before labelling it` : ''} (try --search, another --method or more data)\n`,
  );
}
