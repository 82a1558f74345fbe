// Full fine-tuning with the soft-prompt trainer: every weight of a float32 copy of the model packed into
// one vector (the frozen model is left as it was), each batch's loss and every weight's gradient from the
// engine's backward pass, dev scored with the copy. The examples are laid out with no prompt vectors, so
// what is learned is in the weights alone. The baseline the parameter-efficient methods are compared to.
import { ValidationError } from '../errors/index.js';
import { inputGradients, LlamaModel, packWeights, PROJECTIONS } from '../engine/index.js';
import { evaluatePrompt } from './evaluate-prompt.js';
import { noPrompt } from './lora-training.js';
import { modelFingerprint } from './peft-adapter.js';
import { buildBatch, type TokenizedExample } from './sequences.js';
import { trainAsync, type Trainable, type TrainedValues, type TrainOptions } from './trainer.js';

/**
 * The most parameters a full fine-tuning run takes: the trainer keeps its checkpoint (the weights, the
 * best weights on dev and Adam's two moments) as JSON, which past this grows beyond what one string holds.
 */
export const FULL_FINE_TUNING_LIMIT = 4_000_000;

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

/** Refuses a model past FULL_FINE_TUNING_LIMIT parameters, before anything is copied. */
export function checkFullFineTuningSize(parameters: number): void {
  if (parameters > FULL_FINE_TUNING_LIMIT)
    throw new ValidationError(
      `full fine-tuning takes models of up to ${FULL_FINE_TUNING_LIMIT.toLocaleString('en-US')} parameters; this one has ${parameters.toLocaleString('en-US')}`,
      {
        code: 'FULL_FINE_TUNING_TOO_LARGE',
        hint: 'Its checkpoint would not fit; use --method lora, which trains a few of the same weights.',
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
