// Demonstration candidates for few-shot prompts: training examples that a labelling model answers
// correctly with the seed prompt (DSPy's bootstrapping), in a seeded order. Shared by bootstrap and search.
import { BudgetExceededError } from '../errors/index.js';
import type { Example, Task } from '../tasks/index.js';
import { scorePrompt } from './candidate.js';
import type { OptimizerRun } from './run.js';

/** A seeded Fisher-Yates shuffle of a copy. */
export function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/**
 * Up to `wanted` training examples that the run's teacher (else its student) gets right with the task's
 * seed prompt, labelling at most three batches of `wanted` (so a model that rarely succeeds cannot spend
 * the budget here). When none succeeds, the first examples of the shuffled order stand in (their gold
 * targets are the demos).
 */
export async function demoPool(
  task: Task,
  run: OptimizerRun,
  train: Example[],
  wanted: number,
  random: () => number,
): Promise<Example[]> {
  const [labeller, role] = run.teacher
    ? [run.teacher, 'teacher' as const]
    : [run.student, 'student' as const];
  const order = shuffled(train, random);
  const pool: Example[] = [];
  for (let start = 0; start < Math.min(order.length, 3 * wanted) && pool.length < wanted; start += wanted) {
    const batch = order.slice(start, start + wanted);
    if (!run.tracker.fits(role, batch.length)) break;
    let scores: number[];
    try {
      ({ scores } = await scorePrompt(task, task.spec.prompt, batch, labeller, run.shared));
    } catch (error) {
      if (BudgetExceededError.isInstance(error)) break; // a token or money cap: keep what was labelled
      throw error;
    }
    batch.forEach((example, i) => scores[i] >= 1 && pool.push(example));
  }
  return pool.length ? pool : order.slice(0, wanted);
}

/** The prompt demos of examples (their input fields and gold target). */
export function asDemos(task: Task, examples: Example[]): Record<string, unknown>[] {
  return examples.map((example) => ({ ...example.fields, [task.spec.data.targetField]: example.target }));
}
