// The optimizer contract: optimize(task, options) -> { artifact, history }. An artifact is a plain-JSON
// prompt (instruction, demos, template, parameters) that `promptune eval --prompt` evaluates and that
// carries no training data beyond the chosen demos.
import type { EvaluatedModel } from '../eval/harness.js';
import type { ResponseCache } from '../eval/response-cache.js';
import type { Example } from '../tasks/dataset.js';
import type { Task } from '../tasks/load-task.js';
import type { TaskSpec } from '../tasks/spec.js';

/** A tuned hard prompt, as plain JSON. */
export interface PromptArtifact {
  format: 'promptune-prompt';
  version: 1;
  task: string;
  prompt: TaskSpec['prompt'];
  generation: TaskSpec['generation'];
  optimizer: { name: string; seed: number; calls: number };
  scores: { seed: number; best: number; split: string; n: number };
}

/** Hard caps per role; a run stops before it would exceed one. */
export interface Budget {
  studentCalls?: number;
  teacherCalls?: number;
  tokens?: number;
}

/** One evaluated candidate. */
export interface Trial {
  index: number;
  description: string;
  score: number;
  /** Whether it replaced the incumbent (a significant improvement). */
  accepted: boolean;
  calls: number;
}

/** What every optimizer takes. */
export interface OptimizeOptions {
  student: EvaluatedModel;
  teacher?: EvaluatedModel;
  train: Example[];
  dev: Example[];
  budget: Budget;
  seed?: number;
  cache?: ResponseCache;
  /** Folder for evaluation journals (resume). */
  stateDirectory?: string;
  /** Significance level for replacing the incumbent (default 0.05). */
  alpha?: number;
  onTrial?: (trial: Trial) => void;
}

/** An optimizer behind the shared contract. */
export interface Optimizer {
  readonly name: string;
  optimize(task: Task, options: OptimizeOptions): Promise<{ artifact: PromptArtifact; history: Trial[] }>;
}
