// The metric contract: score one model output against its example, in [0, 1], optionally with
// textual feedback (optimizers read it) and, for label tasks, the predicted and expected labels.
import type { Example } from '../dataset.js';
import type { TaskSpec } from '../spec.js';

/** One output's score. */
export interface MetricScore {
  /** 0 (wrong) to 1 (right). */
  score: number;
  /** Why, in words, for reports and reflective optimizers. */
  feedback?: string;
  /** For label metrics: what the output was read as, and what was expected. */
  label?: { predicted: string; expected: string };
}

/** A scoring function for one task. */
export interface Metric {
  readonly name: string;
  score(example: Example, output: string): MetricScore | Promise<MetricScore>;
}

/** Generates text for a prompt; how the LLM judge reaches a model without this layer knowing providers. */
export type TextGenerator = (prompt: string) => Promise<string>;

/** What a metric factory gets besides its options. */
export interface MetricContext {
  task: TaskSpec;
  /** Directory that relative paths in options (custom metric modules) are resolved against. */
  baseDirectory: string;
  /** The model the `judge` metric asks; required only when a task uses it. */
  judge?: TextGenerator;
}
