// `soft train --baseline <spec>`: the spec's hand-written prompt scored on the test split the tuned
// prompt is scored on (--data's), by the same measure (exact match), so "before" and "after" are one
// comparison; and what a run says when tuning did worse than it.
import { evaluate, summarize } from '../eval/index.js';
import { PromptuneError, ValidationError } from '../errors/index.js';
import { resolveModel } from '../providers/index.js';
import { exampleShape, readExamples, type Task } from '../tasks/index.js';

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
