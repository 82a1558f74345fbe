// Reading prompt artifacts and applying them to a task spec (for `promptune eval --prompt`).
import { readFileSync } from 'node:fs';
import { ValidationError } from '../errors/index.js';
import { pairedBootstrap } from '../eval/statistics.js';
import type { Task } from '../tasks/load-task.js';
import type { PromptArtifact } from './types.js';

/** Reads and checks a prompt artifact file. */
export function readArtifact(path: string): PromptArtifact {
  let artifact: PromptArtifact;
  try {
    artifact = JSON.parse(readFileSync(path, 'utf8')) as PromptArtifact;
  } catch (error) {
    throw new ValidationError(`${path} is not valid JSON: ${(error as Error).message}`, {
      code: 'ARTIFACT_INVALID',
      hint: 'Pass a file written by promptune optimize --out.',
    });
  }
  if (
    artifact?.format !== 'promptune-prompt' ||
    artifact.version !== 1 ||
    typeof artifact.prompt?.template !== 'string'
  ) {
    throw new ValidationError(`${path} is not a promptune prompt artifact`, {
      code: 'ARTIFACT_INVALID',
      hint: 'Pass a file written by promptune optimize --out.',
    });
  }
  return artifact;
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

/** The mean of per-example scores. */
export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}

/** The artifact of a finished run: the incumbent prompt, its dev score against the seed's, calls used. */
export function makeArtifact(
  task: Task,
  optimizer: string,
  seed: number,
  calls: number,
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
    optimizer: { name: optimizer, seed, calls },
    scores: { seed: mean(seedScores), best: mean(bestScores), split: 'dev', n: bestScores.length },
  };
}

/** Whether `candidate` beats `incumbent` on the same examples with a significant paired improvement. */
export function significantlyBetter(
  incumbent: number[],
  candidate: number[],
  seed: number,
  alpha = 0.05,
): boolean {
  const test = pairedBootstrap(incumbent, candidate, { seed });
  return test.difference > 0 && test.pValue < alpha;
}
