// Trains a LoRA adapter with the soft-prompt trainer: the adapter's matrices packed into one vector, each
// batch's loss and their gradient from the engine's backward pass (every row runs with the adapter, the
// model's own weights frozen), dev scored with the adapter. The examples are laid out with no prompt
// vectors, so what is learned is in the adapter alone.
import {
  adaptedProjections,
  dropoutKey,
  inputGradients,
  packAdapter,
  type LlamaModel,
  type LowRankAdapter,
} from '../engine/index.js';
import { evaluatePrompt } from './evaluate-prompt.js';
import { buildBatch, type TokenizedExample } from './sequences.js';
import type { SoftPrompt } from './soft-prompt.js';
import { trainAsync, type Trainable, type TrainedValues, type TrainOptions } from './trainer.js';

/** A prompt of no vectors: examples as [BOS][input][target], for methods that change the model instead. */
export function noPrompt(model: LlamaModel): SoftPrompt {
  return {
    virtualTokens: 0,
    hiddenSize: model.config.hiddenSize,
    values: new Float32Array(0),
    layout: 'peft',
  };
}

/**
 * A LoRA adapter (packed: its matrices views of `values`) as a Trainable; with `dropout` (PEFT's
 * lora_dropout), each step drops the products' inputs with masks drawn from the run's seed and the step.
 */
export function loraTrainable(
  model: LlamaModel,
  adapter: LowRankAdapter,
  values: Float32Array,
  dropout = 0,
): Trainable {
  const prompt = noPrompt(model);
  return {
    values,
    // the scale and the adapted projections too: q and o (or gate and up) have as many values
    shape: {
      rank: adapter.rank,
      parameters: values.length,
      scale: adapter.scale,
      targets: adaptedProjections(adapter).join(),
      ...(dropout ? { dropout } : {}),
    },
    rowSize: adapter.rank,
    lossAndGradient(rows: TokenizedExample[], draw = { seed: 0, step: 0 }) {
      const batch = buildBatch(model, prompt, rows);
      // the step's adapter: the same matrices, dropping while training (dev scoring never drops)
      const running = dropout
        ? { ...adapter, dropout: { probability: dropout, key: dropoutKey(draw.seed, draw.step) } }
        : adapter;
      const result = inputGradients(model, { ...batch, adapter: running });
      const tokens = batch.lengths.reduce((sum, length) => sum + length, 0);
      return { loss: result.loss, gradient: result.adapterGradients!, tokens };
    },
    evaluate: (examples, candidates) => evaluatePrompt(model, prompt, examples, { candidates, adapter }),
  };
}

/** The trained adapter (the best on dev) beside what training any Trainable gives. */
export interface LoraTrainResult extends TrainedValues {
  adapter: LowRankAdapter;
}

/** Trains `initial` (not modified) on `train`, selecting on `dev`, giving the event loop a turn each step. */
export async function trainLoraAsync(
  model: LlamaModel,
  initial: LowRankAdapter,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions & { dropout?: number } = {},
): Promise<LoraTrainResult> {
  const { adapter, values } = packAdapter(initial);
  const { dropout, ...trainOptions } = options;
  const result = await trainAsync(loraTrainable(model, adapter, values, dropout), train, dev, trainOptions);
  values.set(result.values);
  return { ...result, adapter };
}
