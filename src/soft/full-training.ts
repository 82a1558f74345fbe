// Full fine-tuning with the soft-prompt trainer: every weight of a float32 copy of the model packed into
// one vector (the frozen model is left as it was), each batch's loss and every weight's gradient from the
// engine's backward pass, dev scored with the copy. The examples are laid out with no prompt vectors, so
// what is learned is in the weights alone. The baseline the parameter-efficient methods are compared to.
import { totalmem } from 'node:os';
import { ValidationError } from '../errors/index.js';
import { inputGradients, LlamaModel, packWeights, PROJECTIONS } from '../engine/index.js';
import { evaluatePrompt } from './evaluate-prompt.js';
import { noPrompt } from './lora-training.js';
import { modelFingerprint } from './model-fingerprint.js';
import { buildBatch, type TokenizedExample } from './sequences.js';
import { trainAsync, type Trainable, type TrainedValues, type TrainOptions } from './trainer.js';

/**
 * Bytes a full fine-tuning run keeps per weight: the trainable copy, its gradient, the best copy on dev
 * and the copy the run returns (float32 each), and Adam's two moments (float64 each).
 */
export const FULL_FINE_TUNING_BYTES_PER_WEIGHT = 4 * 4 + 2 * 8;

/** The share of the memory a run may plan to take: the model, activations and the process need the rest. */
const MEMORY_SHARE = 0.75;

/** The memory this process may use: the machine's, or its control group's limit where that is lower. */
export function availableMemory(): number {
  const total = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/** A trainable copy of `model`: float32 weights viewing `values` (block-quantized matrices expanded). */
export function trainableCopy(model: LlamaModel): { model: LlamaModel; values: Float32Array } {
  const { weights, values } = packWeights(model.weights);
  return { model: new LlamaModel(model.config, weights, model.kernels), values };
}

/**
 * A trainable copy (its weights views of `values`) as a Trainable: every weight's gradient, each step.
 * `base`, the fingerprint of the model it was copied from, is what a checkpoint must also agree on.
 */
export function fullTrainable(model: LlamaModel, values: Float32Array, base = ''): Trainable {
  const prompt = noPrompt(model);
  const gradients = packWeights(model.weights, 'zero');
  return {
    values,
    shape: { parameters: values.length, weights: 'all', base },
    rowSize: model.config.hiddenSize,
    decays: matrixMask(model, values),
    kernels: model.kernels,
    lossAndGradient(rows: TokenizedExample[]) {
      const batch = buildBatch(model, prompt, rows);
      gradients.values.fill(0);
      const result = inputGradients(model, { ...batch, weightGradients: gradients.weights });
      const tokens = batch.lengths.reduce((sum, length) => sum + length, 0);
      return { loss: result.loss, gradient: gradients.values, tokens };
    },
    evaluate: (examples, candidates) => evaluatePrompt(model, prompt, examples, { candidates }),
  };
}

/**
 * 1 at the values of the model's matrices (embedding, projections, classifier), 0 at norms and biases:
 * where weight decay applies, as transformers' Trainer groups parameters. (A Gemma norm holds 1 + w, so
 * decaying it would pull the scale toward 0, not w.)
 */
function matrixMask(model: LlamaModel, values: Float32Array): Uint8Array {
  const mask = new Uint8Array(values.length);
  const mark = (matrix: unknown) => {
    if (!(matrix instanceof Float32Array) || matrix.buffer !== values.buffer) return;
    const start = (matrix.byteOffset - values.byteOffset) / Float32Array.BYTES_PER_ELEMENT;
    mask.fill(1, start, start + matrix.length);
  };
  const { weights } = model;
  mark(weights.embedding);
  mark(weights.classifier);
  for (const layer of weights.layers) for (const projection of PROJECTIONS) mark(layer[projection]);
  return mask;
}

/** The fine-tuned copy (the best on dev) beside what training any Trainable gives. */
export interface FullTrainResult extends TrainedValues {
  model: LlamaModel;
}

/** Whether full fine-tuning of `parameters` weights fits in `memory` bytes (default: this process's). */
export function fullFineTuningFits(parameters: number, memory = availableMemory()): boolean {
  return parameters * FULL_FINE_TUNING_BYTES_PER_WEIGHT <= MEMORY_SHARE * memory;
}

/** Refuses, before anything is copied, a model whose full fine-tuning would not fit in `memory` bytes. */
export function checkFullFineTuningSize(parameters: number, memory = availableMemory()): void {
  if (fullFineTuningFits(parameters, memory)) return;
  const gigabytes = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
  throw new ValidationError(
    `full fine-tuning of ${parameters.toLocaleString('en-US')} weights keeps about ${gigabytes(parameters * FULL_FINE_TUNING_BYTES_PER_WEIGHT)} (the weights, their gradient, the best on dev and Adam's two moments); this process has ${gigabytes(memory)} and plans to take at most ${MEMORY_SHARE * 100}%`,
    {
      code: 'FULL_FINE_TUNING_TOO_LARGE',
      hint: 'Use --method lora, which trains a few of the same weights, or a machine with more memory.',
    },
  );
}

/** Fine-tunes a copy of `base` (not modified) on `train`, selecting on `dev`, giving the event loop a turn each step. */
export async function trainFullAsync(
  base: LlamaModel,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions = {},
): Promise<FullTrainResult> {
  checkFullFineTuningSize(parameterCount(base));
  const { model, values } = trainableCopy(base);
  // a checkpoint of another model of the same size must not resume here
  const trainable = fullTrainable(model, values, modelFingerprint(base));
  const result = await trainAsync(trainable, train, dev, options);
  values.set(result.values);
  return { ...result, model };
}

/** The model's parameter count, a tied classifier counted once. */
export function parameterCount(model: LlamaModel): number {
  const { weights } = model;
  const size = (parameter: { length: number } | { rows: number; columns: number } | null) =>
    !parameter ? 0 : 'rows' in parameter ? parameter.rows * parameter.columns : parameter.length;
  let total = size(weights.embedding) + size(weights.finalNorm);
  if (weights.classifier !== weights.embedding) total += size(weights.classifier);
  for (const layer of weights.layers) for (const parameter of Object.values(layer)) total += size(parameter);
  return total;
}
