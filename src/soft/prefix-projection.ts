// PEFT's reparameterized prefix (prefix_projection): the prefix is not learned directly but made by a
// two-layer MLP from P learned vectors, out = tanh(E W1^T + b1) W2^T + b2, which Li & Liang found trains
// more stably. The MLP is the training-time form only: what is saved and served is its output, as PEFT
// saves it. Its parameters live in one vector (E, W1, b1, W2, b2, PEFT's order) for the optimizer.
import type { Kernels, Random } from '../engine/index.js';
import {
  initMlp,
  mlpBackward,
  packMlp,
  runMlp,
  viewMlp,
  type EncoderMlp,
  type MlpRun,
  type MlpShape,
} from './encoder-mlp.js';

/** The MLP's sizes: P virtual tokens of the key width, a hidden layer, L layers' keys and values out. */
export interface ProjectionShape {
  virtualTokens: number; // P
  width: number; // KVH * hd, PEFT's token_dim
  layers: number; // L
  hidden: number; // PEFT's encoder_hidden_size
}

/** The MLP's weights. */
export interface ProjectionWeights {
  embedding: Float32Array; // (P, width)
  hiddenWeight: Float32Array; // (hidden, width)
  hiddenBias: Float32Array; // (hidden)
  outputWeight: Float32Array; // (L * 2 * width, hidden)
  outputBias: Float32Array; // (L * 2 * width)
}

/** The prefix's MLP: its shape in prefix terms, and the MLP (whose `values` the optimizer steps). */
export interface PrefixProjection {
  shape: ProjectionShape;
  mlp: EncoderMlp;
  values: Float32Array;
}

function mlpShape(shape: ProjectionShape): MlpShape {
  return {
    rows: shape.virtualTokens,
    sizes: [shape.width, shape.hidden, shape.layers * 2 * shape.width],
    activation: 'tanh',
  };
}

const projectionOf = (mlp: EncoderMlp, shape: ProjectionShape): PrefixProjection => ({
  shape,
  mlp,
  values: mlp.values,
});

/** Packs `weights` (copied) into one vector. */
export function prefixProjection(weights: ProjectionWeights, shape: ProjectionShape): PrefixProjection {
  const { embedding, hiddenWeight, hiddenBias, outputWeight, outputBias } = weights;
  return projectionOf(
    packMlp([embedding, hiddenWeight, hiddenBias, outputWeight, outputBias], mlpShape(shape)),
    shape,
  );
}

/** The MLP viewing `values` (laid out as prefixProjection packs it). */
export function viewProjection(values: Float32Array, shape: ProjectionShape): PrefixProjection {
  return projectionOf(viewMlp(values, mlpShape(shape)), shape);
}

/** A new MLP as PEFT starts one: E standard normal, each Linear uniform in ±1/sqrt(in) (weights and biases). */
export function initPrefixProjection(shape: ProjectionShape, random: Random): PrefixProjection {
  return projectionOf(initMlp(mlpShape(shape), random), shape);
}

/** The MLP's forward: what its backward needs, and the prefix in PEFT's layout (P, L * 2 * width). */
export type ProjectedPrefix = MlpRun;

/** Runs the MLP over its P vectors. */
export function projectPrefix(kernels: Kernels, projection: PrefixProjection): ProjectedPrefix {
  return runMlp(kernels, projection.mlp);
}

/** The MLP's backward: d loss / d its parameters (in `values` order) from d loss / d its output. */
export function projectionBackward(
  kernels: Kernels,
  projection: PrefixProjection,
  projected: ProjectedPrefix,
  doutput: Float32Array,
): Float32Array {
  return mlpBackward(kernels, projection.mlp, projected, doutput);
}
