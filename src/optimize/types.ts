// The optimizer contract: optimize(task, options) -> { artifact, history }. An artifact is a plain-JSON
// prompt (instruction, demos, template, parameters) that `promptune eval --prompt` evaluates and that
// carries no training data beyond the chosen demos.
import type { ModelInput, Price, ResponseCache } from '../eval/index.js';
import type { Example, Task, TaskSpec } from '../tasks/index.js';

/** A tuned hard prompt, as plain JSON. */
export interface PromptArtifact {
  format: 'promptune-prompt';
  version: 1;
  task: string;
  prompt: TaskSpec['prompt'];
  generation: TaskSpec['generation'];
  /**
   * Which optimizer made it, model calls spent (in all roles, including runs killed before it finished
   * and resumed), what they spent, and why the run ended.
   */
  optimizer: { name: string; seed: number; calls: number; spend?: RunSpend; stopped?: string };
  scores: { seed: number; best: number; split: string; n: number };
}

/** Who a model call is for: the model being tuned, the one proposing prompts, the metric's judge. */
export type Role = 'student' | 'teacher' | 'judge';

/** Hard caps for one role (or for the whole run). */
export interface RoleBudget {
  calls?: number;
  /** Input plus output tokens. */
  tokens?: number;
  /** US dollars, from the price table. */
  dollars?: number;
}

/** Hard caps per role and in total; a call that could exceed one is never sent. */
export interface Budget {
  student?: RoleBudget;
  teacher?: RoleBudget;
  judge?: RoleBudget;
  total?: RoleBudget;
}

/** What a role has used (dollars undefined when a model's price is unknown). */
export interface RoleUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  dollars: number | undefined;
}

/** What a run spent over all roles, including earlier runs of the same command (killed or finished) it replayed. */
export interface RunSpend {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Absent when a model's price is unknown. */
  dollars?: number;
  /** Calls of those earlier runs (part of `calls`). */
  earlierCalls: number;
}

/** One evaluated candidate. */
export interface Trial {
  index: number;
  description: string;
  score: number;
  /** Whether it replaced the incumbent (a significant improvement). */
  accepted: boolean;
  /**
   * The score is of a minibatch of this many dev examples, not of the dev set (search and evolve score
   * most trials so): it is no measure beside the seed's dev score. Absent: scored on dev.
   */
  minibatch?: number;
  calls: number;
  /** For structured outputs (JSON or labels): the share of outputs that parsed. */
  parseRate?: number;
  /** Answers the provider's content filter withheld (absent when none were): a prompt that trips it scores low. */
  contentFiltered?: number;
}

/** A prompt's per-example results on dev. */
export interface ScoredPrompt {
  prompt: TaskSpec['prompt'];
  scores: number[];
  outputs: string[];
}

/** Everything a report needs beyond the artifact: seed and final results per dev example, usage. */
export interface RunDetails {
  dev: { id: string; line: number; input: unknown; target: unknown }[];
  seed: ScoredPrompt;
  final: ScoredPrompt;
  /** Whether the final prompt is the seed's (no candidate was significantly better). */
  improved: boolean;
  /** Per role, including earlier runs of the same command (killed or finished). */
  usage: Record<Role, RoleUsage>;
  /** What those earlier runs spent (part of `usage`; absent in results made without a spend journal). */
  earlier?: Record<Role, RoleUsage>;
  /** Answers replayed from the response cache or a killed run's journal instead of calls, by role. */
  replayed?: Record<Role, number>;
  budget: Budget;
  stopped: string;
}

/** What every optimizer returns. */
export interface OptimizeResult {
  artifact: PromptArtifact;
  history: Trial[];
  details: RunDetails;
}

/** What every optimizer takes. */
export interface OptimizeOptions {
  /** The model whose prompt is tuned: an AI SDK model, or a named one (resolveModel's). */
  student: ModelInput;
  /** The model that proposes instructions and labels demos (it may be the student). */
  teacher?: ModelInput;
  /** The model the task's judge metric asks (counted as the judge role). */
  judge?: ModelInput;
  train: Example[];
  dev: Example[];
  budget: Budget;
  seed?: number;
  cache?: ResponseCache;
  /** Folder for evaluation journals (resume). */
  stateDirectory?: string;
  /** Significance level for replacing the incumbent (default 0.05). */
  alpha?: number;
  /** Stop after this many trials in a row without an accepted candidate (default: never). */
  patience?: number;
  /** Prices for money caps and cost (default: the built-in table). */
  prices?: Record<string, Price>;
  /** How the task's output guards count in a candidate's score (default: not at all). */
  guards?: GuardObjective;
  /** Stops the run at its next call, once the calls under way are journaled (InterruptedError). */
  signal?: AbortSignal;
  /** Student and judge calls in flight at once while a prompt is scored (default 4). */
  concurrency?: number;
  /** How long one call may take before it is abandoned and retried, in ms (default 120000). */
  timeoutMs?: number;
  onTrial?: (trial: Trial) => void;
  /** After each model call is answered, by role (cache replays are not calls): progress within a trial. */
  onCall?: (role: Role) => void;
  /**
   * When a prompt starts being scored on `examples` examples (dev, a minibatch, or training examples
   * labelled for demos): the total that the calls after it count towards.
   */
  onScoring?: (examples: number) => void;
}

/**
 * The task's output guards in the optimization: `weight` makes their pass rate part of the objective
 * (each example scores (1 - weight) x its metrics + weight x the share of validators its answer passed);
 * `required` makes them a constraint (an answer that fails any validator scores 0).
 */
export interface GuardObjective {
  weight?: number;
  required?: boolean;
}

/** An optimizer behind the shared contract. */
export interface Optimizer {
  readonly name: string;
  optimize(task: Task, options: OptimizeOptions): Promise<OptimizeResult>;
}
