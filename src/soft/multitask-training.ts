// Trains a multitask prompt with the soft-prompt trainer: a batch mixes the tasks' examples, each row with
// its task's prompt (example.task) in the prompt positions; one backward pass gives every row's prompt
// gradient, which multitask-prompt.ts takes back to the shared prompt and that task's factors. Dev is
// scored per task with the task's prompt, and the scores are pooled over every dev example.
import { inputGradients, type LlamaModel } from '../engine/index.js';
import { evaluatePrompt, type PromptEvaluation } from './evaluate-prompt.js';
import {
  addTaskGradient,
  checkTask,
  taskPrompt,
  viewMultitask,
  type MultitaskPrompt,
} from './multitask-prompt.js';
import { buildBatch, type TokenizedExample } from './sequences.js';
import { trainAsync, type Trainable, type TrainedValues, type TrainOptions } from './trainer.js';

/** The indices of `examples` by task. */
function byTask(prompt: MultitaskPrompt, examples: TokenizedExample[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  examples.forEach((example, index) => {
    const task = example.task ?? 0;
    checkTask(prompt, task);
    const group = groups.get(task);
    if (group) group.push(index);
    else groups.set(task, [index]);
  });
  return groups;
}

/** Scores each example with its task's prompt; the scores pooled over all of them. */
export function evaluateMultitask(
  model: LlamaModel,
  prompt: MultitaskPrompt,
  examples: TokenizedExample[],
  candidates?: TokenizedExample[][],
): PromptEvaluation {
  const correct = new Array<boolean>(examples.length).fill(false);
  let lossSum = 0;
  let likelihoodRight = 0;
  for (const [task, indices] of byTask(prompt, examples)) {
    const scored = evaluatePrompt(
      model,
      taskPrompt(prompt, task),
      indices.map((index) => examples[index]),
      { candidates: candidates && indices.map((index) => candidates[index]) },
    );
    scored.correct.forEach((hit, i) => (correct[indices[i]] = hit));
    lossSum += scored.loss * indices.length;
    likelihoodRight += (scored.likelihoodAccuracy ?? 0) * indices.length;
  }
  const n = examples.length;
  const loss = lossSum / Math.max(1, n);
  return {
    n,
    exactMatch: correct.filter(Boolean).length / Math.max(1, n),
    likelihoodAccuracy: candidates ? likelihoodRight / Math.max(1, n) : undefined,
    loss,
    perplexity: Math.exp(loss),
    correct,
  };
}

/**
 * A multitask prompt as a Trainable: the shared prompt and every task's factors, one vector. `identity`
 * (the tasks' names in order, where the prompt started, its layout) is part of what a checkpoint must
 * agree on: a run resumed with its tasks in another order would train each task's factors on another task.
 */
export function multitaskTrainable(
  model: LlamaModel,
  prompt: MultitaskPrompt,
  identity: Record<string, string> = {},
): Trainable {
  const { virtualTokens: P, hiddenSize: C, tasks, ranks } = prompt.shape;
  return {
    values: prompt.values,
    shape: { n: P, tasks, ranks, ...identity },
    rowSize: C,
    lossAndGradient(rows: TokenizedExample[]) {
      const groups = byTask(prompt, rows);
      const prompts = new Map([...groups.keys()].map((task) => [task, taskPrompt(prompt, task)]));
      const batch = buildBatch(model, prompts.values().next().value!, rows);
      const at = (row: number) => (row * batch.time + batch.promptStart) * C;
      for (const [task, indices] of groups)
        for (const row of indices) batch.embeddings.set(prompts.get(task)!.values, at(row));
      const { loss, dembeddings } = inputGradients(model, batch);
      const gradient = new Float32Array(prompt.values.length);
      for (const [task, indices] of groups) {
        const taskGradient = new Float32Array(P * C);
        for (const row of indices)
          for (let i = 0; i < P * C; i++) taskGradient[i] += dembeddings[at(row) + i];
        addTaskGradient(prompt, task, taskGradient, gradient);
      }
      const tokens = batch.lengths.reduce((sum, length) => sum + length, 0);
      return { loss, gradient, tokens };
    },
    evaluate: (examples, candidates) => evaluateMultitask(model, prompt, examples, candidates),
  };
}

/** The trained multitask prompt (the best on dev) beside what training gives. */
export interface MultitaskTrainResult extends TrainedValues {
  multitask: MultitaskPrompt;
}

/** Trains `initial` (not modified) on `train` (each example's task set), selecting on `dev`. */
export async function trainMultitaskAsync(
  model: LlamaModel,
  initial: MultitaskPrompt,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions = {},
  identity: Record<string, string> = {},
): Promise<MultitaskTrainResult> {
  const multitask = viewMultitask(initial.values.slice(), initial.shape, initial.layout);
  const result = await trainAsync(multitaskTrainable(model, multitask, identity), train, dev, options);
  multitask.values.set(result.values);
  return { ...result, multitask };
}
