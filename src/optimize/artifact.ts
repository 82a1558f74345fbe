// Prompt artifacts: reading them (through a schema, for `promptune eval --prompt`), applying them to a
// task spec, and making one from a finished run.
import { z } from 'zod';
import { readJsonFile, ValidationError } from '../errors/index.js';
import { pairedTest, mean } from '../eval/index.js';
import { type Task, taskSpec } from '../tasks/index.js';
import type { PromptArtifact, RunSpend } from './types.js';

const count = z.number().int().nonnegative();

/** The shape of a prompt artifact file (older files without `spend` fit it too). */
export const promptArtifactSchema = z.object({
  format: z.literal('promptune-prompt'),
  version: z.literal(1),
  task: z.string().min(1),
  prompt: taskSpec.shape.prompt,
  generation: taskSpec.shape.generation,
  optimizer: z.object({
    name: z.string().min(1),
    seed: z.number().int(),
    calls: count,
    spend: z
      .object({
        calls: count,
        inputTokens: count,
        outputTokens: count,
        dollars: z.number().nonnegative().optional(),
        earlierCalls: count,
      })
      .optional(),
    stopped: z.string().optional(),
  }),
  scores: z.object({ seed: z.number(), best: z.number(), split: z.string(), n: count }),
});

/** Reads and checks a prompt artifact file. */
export function readArtifact(path: string): PromptArtifact {
  return readJsonFile(path, promptArtifactSchema, {
    where: `prompt artifact ${path}`,
    code: 'ARTIFACT_INVALID',
    hint: 'Pass a file written by promptune optimize --out.',
    notFoundCode: 'ARTIFACT_NOT_FOUND',
  });
}

/** The task with the artifact's prompt and generation parameters; refuses an artifact of another task. */
export function applyArtifact(task: Task, artifact: PromptArtifact): Task {
  if (artifact.task !== task.spec.name) {
    throw new ValidationError(`the prompt was tuned for task ${artifact.task}, not ${task.spec.name}`, {
      code: 'ARTIFACT_WRONG_TASK',
      hint: 'Evaluate it with the task spec it was optimized on.',
    });
  }
  return { ...task, spec: { ...task.spec, prompt: artifact.prompt, generation: artifact.generation } };
}

/** The artifact of a finished run: the incumbent prompt, its dev score against the seed's, what it spent. */
export function makeArtifact(
  task: Task,
  optimizer: string,
  seed: number,
  spend: RunSpend,
  prompt: PromptArtifact['prompt'],
  seedScores: number[],
  bestScores: number[],
): PromptArtifact {
  return {
    format: 'promptune-prompt',
    version: 1,
    task: task.spec.name,
    prompt,
    generation: task.spec.generation,
    optimizer: { name: optimizer, seed, calls: spend.calls, spend },
    scores: { seed: mean(seedScores), best: mean(bestScores), split: 'dev', n: bestScores.length },
  };
}

/**
 * Whether `candidate` beats `incumbent` on the same examples with a significant paired improvement
 * (McNemar's exact test on right-or-wrong scores, the paired bootstrap otherwise).
 */
export function significantlyBetter(
  incumbent: number[],
  candidate: number[],
  seed: number,
  alpha = 0.05,
): boolean {
  const test = pairedTest(incumbent, candidate, { seed });
  return test.difference > 0 && test.pValue < alpha;
}
