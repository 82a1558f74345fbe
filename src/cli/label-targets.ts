// A label task's split whose targets are not all among its labels: said once on stderr before a run,
// since those examples can never be answered right (another task's data, a typo, a number for a label).
import { targetsOutsideLabels, type Example, type Task } from '../tasks/index.js';

/** Warns on stderr when some of `examples`' targets are none of the task's labels. */
export function warnTargetsOutsideLabels(task: Task, examples: Example[], split: string): void {
  const outside = targetsOutsideLabels(task.spec, examples);
  if (outside.length === 0 || task.spec.output.kind !== 'label') return;
  const shown = outside
    .slice(0, 3)
    .map((example) => `line ${example.line} ${JSON.stringify(example.target)}`)
    .join(', ');
  process.stderr.write(
    `warning: ${outside.length} of ${examples.length} ${split} targets are none of ${task.spec.name}'s labels (${task.spec.output.labels.map((label) => JSON.stringify(label)).join(', ')}): ${shown}${outside.length > 3 ? ', …' : ''}; they can never be answered right\n`,
  );
}
