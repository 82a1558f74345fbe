// P-tuning (Liu et al. 2021; PEFT's P_TUNING): the soft prompt is made by a prompt encoder, P learned
// vectors of the hidden size through an MLP, Linear(C, H), ReLU, Linear(H, H), ReLU, Linear(H, C), or
// through a bidirectional LSTM and a small MLP (lstm-encoder.ts), and the encoder is what trains: the
// gradient at the prompt's positions flows back through it. What is saved and served is the prompt it makes, as PEFT saves it (inference needs no
// encoder), so a P-tuned version serves exactly like a soft prompt.
import { inputGradients, type LlamaModel, type Random } from '../engine/index.js';
import { initMlp, mlpBackward, runMlp, viewMlp, type EncoderMlp } from './encoder-mlp.js';
import {
  initLstmEncoder,
  lstmEncoderBackward,
  runLstmEncoder,
  viewLstmEncoder,
  type LstmEncoder,
} from './lstm-encoder.js';
import { evaluatePrompt } from './evaluate-prompt.js';
import { buildBatch, promptGradient, type TokenizedExample } from './sequences.js';
import type { PromptLayout, SoftPrompt } from './soft-prompt.js';
import { trainAsync, type Trainable, type TrainedValues, type TrainOptions } from './trainer.js';

/** PEFT's two prompt encoders: an MLP, or an LSTM with an MLP head. */
export type PromptEncoder = EncoderMlp | LstmEncoder;

/** PEFT's encoder_reparameterization_type. */
export type PromptEncoderKind = 'MLP' | 'LSTM';

/** The LSTM's layers, PEFT's default encoder_num_layers. */
export const LSTM_LAYERS = 2;

/** A new encoder of `virtualTokens` rows and hidden size `hidden` for `model`, as PEFT starts one. */
export function initPromptEncoder(
  model: LlamaModel,
  virtualTokens: number,
  hidden: number,
  random: Random,
  kind?: 'MLP',
): EncoderMlp;
export function initPromptEncoder(
  model: LlamaModel,
  virtualTokens: number,
  hidden: number,
  random: Random,
  kind: PromptEncoderKind,
): PromptEncoder;
export function initPromptEncoder(
  model: LlamaModel,
  virtualTokens: number,
  hidden: number,
  random: Random,
  kind: PromptEncoderKind = 'MLP',
): PromptEncoder {
  const C = model.config.hiddenSize;
  if (kind === 'LSTM')
    return initLstmEncoder({ rows: virtualTokens, size: C, hidden, layers: LSTM_LAYERS }, random);
  return initMlp({ rows: virtualTokens, sizes: [C, hidden, hidden, C], activation: 'relu' }, random);
}

const isLstm = (encoder: PromptEncoder): encoder is LstmEncoder => 'kind' in encoder;

/** An encoder's virtual tokens, hidden size and kind. */
export function encoderShape(encoder: PromptEncoder): {
  virtualTokens: number;
  hidden: number;
  kind: PromptEncoderKind;
} {
  return isLstm(encoder)
    ? { virtualTokens: encoder.shape.rows, hidden: encoder.shape.hidden, kind: 'LSTM' }
    : { virtualTokens: encoder.shape.rows, hidden: encoder.shape.sizes[1], kind: 'MLP' };
}

/** A forward pass of either encoder: its output, and the backward from d loss / d that output. */
function runEncoder(
  model: LlamaModel,
  encoder: PromptEncoder,
): { output: Float32Array; backward(outputGradient: Float32Array): Float32Array } {
  const { kernels } = model;
  if (isLstm(encoder)) {
    const run = runLstmEncoder(kernels, encoder);
    return { output: run.output, backward: (d) => lstmEncoderBackward(kernels, encoder, run, d) };
  }
  const run = runMlp(kernels, encoder);
  return { output: run.output, backward: (d) => mlpBackward(kernels, encoder, run, d) };
}

/** A copy of `encoder` viewing `values`. */
function viewEncoder(values: Float32Array, encoder: PromptEncoder): PromptEncoder {
  return isLstm(encoder) ? viewLstmEncoder(values, encoder.shape) : viewMlp(values, encoder.shape);
}

/** The soft prompt `encoder` makes, placed by `layout`. */
export function encodePrompt(model: LlamaModel, encoder: PromptEncoder, layout: PromptLayout): SoftPrompt {
  const { output } = runEncoder(model, encoder);
  return {
    virtualTokens: encoderShape(encoder).virtualTokens,
    hiddenSize: model.config.hiddenSize,
    values: output,
    layout,
  };
}

/** An encoder as a Trainable: its parameters, their gradient through the prompt it makes. */
export function promptEncoderTrainable(
  model: LlamaModel,
  encoder: PromptEncoder,
  layout: PromptLayout,
): Trainable {
  const C = model.config.hiddenSize;
  const { virtualTokens, hidden, kind } = encoderShape(encoder);
  return {
    values: encoder.values,
    shape: {
      n: virtualTokens,
      encoder: hidden,
      parameters: encoder.values.length,
      layout,
      // an MLP checkpoint (before LSTMs were trained) names no kind, and still resumes
      ...(kind === 'LSTM' && { encoderKind: kind }),
    },
    rowSize: C,
    lossAndGradient(rows: TokenizedExample[]) {
      const run = runEncoder(model, encoder);
      const prompt: SoftPrompt = { virtualTokens, hiddenSize: C, values: run.output, layout };
      const batch = buildBatch(model, prompt, rows);
      const { loss, dembeddings } = inputGradients(model, batch);
      const gradient = run.backward(promptGradient(prompt, batch, dembeddings));
      const tokens = batch.lengths.reduce((sum, length) => sum + length, 0);
      return { loss, gradient, tokens };
    },
    evaluate: (examples, candidates) =>
      evaluatePrompt(model, encodePrompt(model, encoder, layout), examples, { candidates }),
  };
}

/** The trained encoder (the best on dev) and the prompt it makes, beside what training gives. */
export interface PromptEncoderTrainResult extends TrainedValues {
  encoder: PromptEncoder;
  prompt: SoftPrompt;
}

/** Trains `initial` (not modified) on `train`, selecting on `dev`, giving the event loop a turn each step. */
export async function trainPromptEncoderAsync(
  model: LlamaModel,
  initial: PromptEncoder,
  layout: PromptLayout,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions = {},
): Promise<PromptEncoderTrainResult> {
  const encoder = viewEncoder(initial.values.slice(), initial);
  const result = await trainAsync(promptEncoderTrainable(model, encoder, layout), train, dev, options);
  encoder.values.set(result.values);
  return { ...result, encoder, prompt: encodePrompt(model, encoder, layout) };
}
