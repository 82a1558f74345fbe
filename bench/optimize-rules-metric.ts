// The bench task's metric as a promptune custom metric module: exact answer, feedback naming the rule.
import type { Example } from '../src/tasks/dataset.js';
import { feedback, type RuleExample } from './optimize-rules.js';

export default (example: Example, output: string) => {
  const rule = {
    question: String(example.fields.question),
    form: String(example.fields.form),
    answer: String(example.target),
  } satisfies RuleExample;
  const note = feedback(rule, output);
  return { score: note ? 0 : 1, feedback: note };
};
