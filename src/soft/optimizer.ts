// Adam and AdamW over one flat parameter vector (the soft prompt), learning-rate schedules and
// gradient clipping. The moments are float64, as computed, so checkpoints save and restore them exactly.
import { jsKernels, type AdamConstants, type Kernels } from '../engine/index.js';
import { ValidationError } from '../errors/index.js';

/** Optimizer settings (defaults as torch.optim.Adam / AdamW). */
export interface OptimizerOptions {
  kind: 'adam' | 'adamw';
  learningRate: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled (AdamW) or L2-style (Adam) weight decay; default 0. */
  weightDecay?: number;
}

/** Adam's moments and step count. */
export interface OptimizerState {
  step: number;
  m: Float64Array;
  v: Float64Array;
}

/**
 * One Adam/AdamW step on `parameters` (in place) with gradient `gradient` at learning rate `learningRate`,
 * on `kernels` (the native ones run every weight of a full fine-tuning step on all cores). Returns the
 * first parameter that is not finite after the step, or -1.
 */
export function adamStep(
  parameters: Float32Array,
  gradient: Float32Array,
  state: OptimizerState,
  options: OptimizerOptions,
  learningRate: number,
  /** Where weight decay applies (1) and where not (0); default everywhere. */
  decays?: Uint8Array,
  kernels: Kernels = jsKernels,
): number {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = options;
  state.step++;
  const constants: AdamConstants = {
    beta1,
    beta2,
    stepSize: learningRate / (1 - beta1 ** state.step),
    correction2: Math.sqrt(1 - beta2 ** state.step),
    eps,
    // AdamW shrinks each value by the learning rate times the decay; Adam adds the decay's gradient
    decay: options.kind === 'adamw' ? learningRate * weightDecay : weightDecay,
    coupled: options.kind === 'adam',
  };
  return kernels.adamUpdate(
    parameters,
    gradient,
    state.m,
    state.v,
    decays ?? null,
    constants,
    parameters.length,
  );
}

/** A fresh optimizer state for `size` parameters. */
export function optimizerState(size: number): OptimizerState {
  return { step: 0, m: new Float64Array(size), v: new Float64Array(size) };
}

/** Scales the gradient to at most `maxNorm` (L2); returns the norm before clipping. */
export function clipGradient(gradient: Float32Array, maxNorm: number | undefined): number {
  let sum = 0;
  // indexed: iterating a typed array with for-of is ten times slower (135M gradients at SmolLM2's size)
  for (let i = 0; i < gradient.length; i++) sum += gradient[i] * gradient[i];
  const norm = Math.sqrt(sum);
  if (maxNorm !== undefined && norm > maxNorm) {
    const scale = maxNorm / norm;
    for (let i = 0; i < gradient.length; i++) gradient[i] *= scale;
  }
  return norm;
}

/** Learning-rate schedule: constant, or linear warmup then cosine decay to zero. */
export interface Schedule {
  kind: 'constant' | 'cosine';
  warmupSteps?: number;
}

/** The learning rate at `step` (1-based) of `totalSteps`. */
export function learningRateAt(base: number, step: number, totalSteps: number, schedule: Schedule): number {
  const warmup = schedule.warmupSteps ?? 0;
  if (warmup > 0 && step <= warmup) return (base * step) / warmup;
  if (schedule.kind === 'constant') return base;
  const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
  return base * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** Checks optimizer settings (TRAIN_OPTIONS naming the one out of range). */
export function validateOptimizer(options: OptimizerOptions): void {
  const refuse = (option: string, value: unknown, hint: string) =>
    new ValidationError(`training option optimizer.${option} is ${JSON.stringify(value) ?? String(value)}`, {
      code: 'TRAIN_OPTIONS',
      hint,
    });
  if (options.kind !== 'adam' && options.kind !== 'adamw')
    throw refuse('kind', options.kind, "The trainer's optimizers are adam and adamw.");
  for (const name of ['beta1', 'beta2'] as const) {
    const beta = options[name];
    if (beta !== undefined && !(beta >= 0 && beta < 1))
      throw refuse(name, beta, `Give ${name} in [0, 1) (Adam's defaults: 0.9 and 0.999).`);
  }
  if (options.eps !== undefined && !(options.eps > 0))
    throw refuse('eps', options.eps, 'Give eps a small positive number (1e-8).');
  if (options.weightDecay !== undefined && !(options.weightDecay >= 0))
    throw refuse('weightDecay', options.weightDecay, 'Give weightDecay 0 or more.');
  if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) {
    throw new ValidationError(`learning rate ${options.learningRate}`, {
      code: 'TRAIN_OPTIONS',
      hint: 'Use a learning rate > 0 (soft prompts often use 0.01-0.3).',
    });
  }
}
