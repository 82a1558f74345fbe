// The scripted optimizers' task, shared by their tests: "a + b" questions whose answer is the sum, and a
// scripted model as optimize takes it.
import type { ScriptedLanguageModel, ScriptedTeacher } from './scripted-model.js';
import { taskFromObject } from '../src/tasks/load-task.js';

/** The sums task: template "Q: {{input}}\nAnswer:", scored by exact match. */
export const sumsTask = taskFromObject(
  { name: 'sums', prompt: { template: 'Q: {{input}}\nAnswer:' }, metrics: [{ name: 'exact-match' }] },
  'sums',
);

/** `count` examples "n + (n+1)" from `from` on, with ids `<prefix><n>`. */
export const sumExamples = (from: number, count: number, prefix = 's') =>
  Array.from({ length: count }, (_, i) => ({
    index: i,
    line: i + 1,
    fields: { input: `${from + i} + ${from + i + 1}` },
    target: String(2 * (from + i) + 1),
    id: `${prefix}${from + i}`,
  }));

/** A scripted model as the optimizers take one (name, provider, model id, model). */
export const scripted = (model: ScriptedLanguageModel | ScriptedTeacher) => ({
  name: 'scripted',
  provider: 'scripted',
  modelId: model.modelId,
  model,
});
