// P-tuning (Liu et al. 2021; PEFT's P_TUNING with its MLP encoder): the soft prompt is made by a prompt
// encoder, P learned vectors of the hidden size through Linear(C, H), ReLU, Linear(H, H), ReLU,
// Linear(H, C), and the encoder is what trains: the gradient at the prompt's positions flows back
// through it. What is saved and served is the prompt it makes, as PEFT saves it (inference needs no
// encoder), so a P-tuned version serves exactly like a soft prompt.
import { inputGradients, type LlamaModel, type Random } from '../engine/index.js';
import { initMlp, mlpBackward, runMlp, viewMlp, type EncoderMlp } from './encoder-mlp.js';
import { evaluatePrompt } from './evaluate-prompt.js';
import { buildBatch, promptGradient, type TokenizedExample } from './sequences.js';
import type { PromptLayout, SoftPrompt } from './soft-prompt.js';
import { trainAsync, type Trainable, type TrainedValues, type TrainOptions } from './trainer.js';

/** A new encoder of `virtualTokens` rows and hidden size `hidden` for `model`, as PEFT starts one. */
export function initPromptEncoder(
  model: LlamaModel,
  virtualTokens: number,
  hidden: number,
  random: Random,
): EncoderMlp {
  const C = model.config.hiddenSize;
  return initMlp({ rows: virtualTokens, sizes: [C, hidden, hidden, C], activation: 'relu' }, random);
}

/** The soft prompt `encoder` makes, placed by `layout`. */
export function encodePrompt(model: LlamaModel, encoder: EncoderMlp, layout: PromptLayout): SoftPrompt {
  const { output } = runMlp(model.kernels, encoder);
  return { virtualTokens: encoder.shape.rows, hiddenSize: model.config.hiddenSize, values: output, layout };
}

/** An encoder as a Trainable: its parameters, their gradient through the prompt it makes. */
export function promptEncoderTrainable(
  model: LlamaModel,
  encoder: EncoderMlp,
  layout: PromptLayout,
): Trainable {
  const C = model.config.hiddenSize;
  return {
    values: encoder.values,
    shape: {
      n: encoder.shape.rows,
      encoder: encoder.shape.sizes[1],
      parameters: encoder.values.length,
      layout,
    },
    rowSize: C,
    lossAndGradient(rows: TokenizedExample[]) {
      const run = runMlp(model.kernels, encoder);
      const prompt: SoftPrompt = {
        virtualTokens: encoder.shape.rows,
        hiddenSize: C,
        values: run.output,
        layout,
      };
      const batch = buildBatch(model, prompt, rows);
      const { loss, dembeddings } = inputGradients(model, batch);
      const gradient = mlpBackward(model.kernels, encoder, run, promptGradient(prompt, batch, dembeddings));
      const tokens = batch.lengths.reduce((sum, length) => sum + length, 0);
      return { loss, gradient, tokens };
    },
    evaluate: (examples, candidates) =>
      evaluatePrompt(model, encodePrompt(model, encoder, layout), examples, { candidates }),
  };
}

/** The trained encoder (the best on dev) and the prompt it makes, beside what training gives. */
export interface PromptEncoderTrainResult extends TrainedValues {
  encoder: EncoderMlp;
  prompt: SoftPrompt;
}

/** Trains `initial` (not modified) on `train`, selecting on `dev`, giving the event loop a turn each step. */
export async function trainPromptEncoderAsync(
  model: LlamaModel,
  initial: EncoderMlp,
  layout: PromptLayout,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions = {},
): Promise<PromptEncoderTrainResult> {
  const encoder = viewMlp(initial.values.slice(), initial.shape);
  const result = await trainAsync(promptEncoderTrainable(model, encoder, layout), train, dev, options);
  encoder.values.set(result.values);
  return { ...result, encoder, prompt: encodePrompt(model, encoder, layout) };
}
