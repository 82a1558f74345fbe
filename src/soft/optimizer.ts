// Adam and AdamW over one flat parameter vector (the soft prompt), learning-rate schedules and
// gradient clipping. The moments are float64, as computed, so checkpoints save and restore them exactly.
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

/** One Adam/AdamW step on `parameters` (in place) with gradient `gradient` at learning rate `learningRate`. */
export function adamStep(
  parameters: Float32Array,
  gradient: Float32Array,
  state: OptimizerState,
  options: OptimizerOptions,
  learningRate: number,
  /** Where weight decay applies (1) and where not (0); default everywhere. */
  decays?: Uint8Array,
): void {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = options;
  state.step++;
  const correction1 = 1 - beta1 ** state.step;
  const correction2 = Math.sqrt(1 - beta2 ** state.step);
  // one loop per case, with nothing decided per value: a full fine-tuning step updates every weight of
  // the model here (135M at SmolLM2's size), so the loop is half of a step's time when it is general
  const step = {
    m: state.m,
    v: state.v,
    beta1,
    beta2,
    stepSize: learningRate / correction1,
    correction2,
    eps,
  };
  if (!weightDecay) adamPlain(parameters, gradient, step);
  else if (options.kind === 'adamw')
    adamDecoupled(parameters, gradient, step, learningRate * weightDecay, decays);
  else adamCoupled(parameters, gradient, step, weightDecay, decays);
}

/** What one step's update of a value needs beside the value and its gradient. */
interface StepConstants {
  m: Float64Array;
  v: Float64Array;
  beta1: number;
  beta2: number;
  /** The learning rate over the first moment's bias correction. */
  stepSize: number;
  /** The square root of the second moment's bias correction. */
  correction2: number;
  eps: number;
}

/** Adam without weight decay. */
function adamPlain(parameters: Float32Array, gradient: Float32Array, step: StepConstants): void {
  const { m, v, beta1, beta2, stepSize, correction2, eps } = step;
  for (let i = 0; i < parameters.length; i++) {
    const g = gradient[i];
    const first = (m[i] = beta1 * m[i] + (1 - beta1) * g);
    const second = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
    parameters[i] -= (stepSize * first) / (Math.sqrt(second) / correction2 + eps);
  }
}

/** AdamW: the decay (learning rate × weight decay) shrinks the value apart from the gradient's moments. */
function adamDecoupled(
  parameters: Float32Array,
  gradient: Float32Array,
  step: StepConstants,
  decay: number,
  decays: Uint8Array | undefined,
): void {
  const { m, v, beta1, beta2, stepSize, correction2, eps } = step;
  for (let i = 0; i < parameters.length; i++) {
    const g = gradient[i];
    const first = (m[i] = beta1 * m[i] + (1 - beta1) * g);
    const second = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
    if (!decays || decays[i]) parameters[i] -= decay * parameters[i];
    parameters[i] -= (stepSize * first) / (Math.sqrt(second) / correction2 + eps);
  }
}

/** Adam with L2 weight decay: the decay's gradient joins the value's before the moments. */
function adamCoupled(
  parameters: Float32Array,
  gradient: Float32Array,
  step: StepConstants,
  weightDecay: number,
  decays: Uint8Array | undefined,
): void {
  const { m, v, beta1, beta2, stepSize, correction2, eps } = step;
  for (let i = 0; i < parameters.length; i++) {
    const g = !decays || decays[i] ? gradient[i] + weightDecay * parameters[i] : gradient[i];
    const first = (m[i] = beta1 * m[i] + (1 - beta1) * g);
    const second = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
    parameters[i] -= (stepSize * first) / (Math.sqrt(second) / correction2 + eps);
  }
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

/** Checks optimizer settings. */
export function validateOptimizer(options: OptimizerOptions): void {
  if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) {
    throw new ValidationError(`learning rate ${options.learningRate}`, {
      code: 'TRAIN_OPTIONS',
      hint: 'Use a learning rate > 0 (soft prompts often use 0.01-0.3).',
    });
  }
}
