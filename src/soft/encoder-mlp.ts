// The small MLPs PEFT reparameterizes prompts with: R learned rows through linear layers with an
// activation between them (none after the last). Prefix tuning's prefix_projection is two layers with
// tanh (prefix-projection.ts); P-tuning's MLP prompt encoder three with ReLU (prompt-encoder.ts). The
// parameters live in one vector (the rows, then each layer's weight and bias, PEFT's order) for the
// optimizer; the forward keeps each layer's input for the backward.
import type { Kernels, Random } from '../engine/index.js';
import { standardNormal } from './soft-prompt.js';

/** What sits between two layers. */
export type Activation = 'tanh' | 'relu';

/** R rows of sizes[0] through layers sizes[i] -> sizes[i + 1]. */
export interface MlpShape {
  rows: number; // R
  sizes: number[];
  activation: Activation;
}

/** An MLP whose rows, weights (out, in) and biases are views of one vector, `values`. */
export interface EncoderMlp {
  shape: MlpShape;
  values: Float32Array;
  rows: Float32Array; // (R, sizes[0])
  weights: Float32Array[];
  biases: Float32Array[];
}

/** The sizes of the parts of `values`, in order: the rows, then each layer's weight and bias. */
function partSizes(shape: MlpShape): number[] {
  const parts = [shape.rows * shape.sizes[0]];
  for (let i = 0; i + 1 < shape.sizes.length; i++)
    parts.push(shape.sizes[i + 1] * shape.sizes[i], shape.sizes[i + 1]);
  return parts;
}

/** The MLP viewing `values`. */
export function viewMlp(values: Float32Array, shape: MlpShape): EncoderMlp {
  let offset = 0;
  const parts = partSizes(shape).map((size) => values.subarray(offset, (offset += size)));
  return {
    shape,
    values,
    rows: parts[0],
    weights: parts.filter((_, i) => i % 2 === 1),
    biases: parts.filter((_, i) => i > 0 && i % 2 === 0),
  };
}

/** Packs `parts` (copied; the rows, then each layer's weight and bias) into one vector with views. */
export function packMlp(parts: Float32Array[], shape: MlpShape): EncoderMlp {
  const values = new Float32Array(partSizes(shape).reduce((sum, size) => sum + size, 0));
  let offset = 0;
  for (const part of parts) {
    values.set(part, offset);
    offset += part.length;
  }
  return viewMlp(values, shape);
}

/** A new MLP as PyTorch starts one: rows standard normal (nn.Embedding), each Linear uniform in ±1/sqrt(in). */
export function initMlp(shape: MlpShape, random: Random): EncoderMlp {
  const mlp = viewMlp(new Float32Array(partSizes(shape).reduce((sum, size) => sum + size, 0)), shape);
  mlp.rows.forEach((_, i) => (mlp.rows[i] = standardNormal(random)));
  mlp.weights.forEach((weight, layer) => {
    const bound = 1 / Math.sqrt(shape.sizes[layer]);
    weight.forEach((_, i) => (weight[i] = (random() * 2 - 1) * bound));
    const bias = mlp.biases[layer];
    bias.forEach((_, i) => (bias[i] = (random() * 2 - 1) * bound));
  });
  return mlp;
}

/** A forward pass: each layer's input (the rows first), and the output (R, sizes at the end). */
export interface MlpRun {
  inputs: Float32Array[];
  output: Float32Array;
}

/** Runs the MLP over its rows. */
export function runMlp(kernels: Kernels, mlp: EncoderMlp): MlpRun {
  const { rows: R, sizes, activation } = mlp.shape;
  const inputs: Float32Array[] = [];
  let x = mlp.rows;
  for (let layer = 0; layer + 1 < sizes.length; layer++) {
    inputs.push(x);
    const [inFeatures, outFeatures] = [sizes[layer], sizes[layer + 1]];
    const y = new Float32Array(R * outFeatures);
    for (let r = 0; r < R; r++) y.set(mlp.biases[layer], r * outFeatures);
    kernels.gemm(
      false,
      true,
      R,
      outFeatures,
      inFeatures,
      1,
      x,
      inFeatures,
      mlp.weights[layer],
      inFeatures,
      1,
      y,
      outFeatures,
    );
    if (layer + 2 < sizes.length)
      for (let i = 0; i < y.length; i++) y[i] = activation === 'tanh' ? Math.tanh(y[i]) : Math.max(0, y[i]);
    x = y;
  }
  return { inputs, output: x };
}

/** d loss / d the MLP's parameters (in `values` order) from d loss / d its output. */
export function mlpBackward(
  kernels: Kernels,
  mlp: EncoderMlp,
  run: MlpRun,
  doutput: Float32Array,
): Float32Array {
  const { rows: R, sizes, activation } = mlp.shape;
  const gradient = viewMlp(new Float32Array(mlp.values.length), mlp.shape);
  let d = doutput;
  for (let layer = sizes.length - 2; layer >= 0; layer--) {
    const [inFeatures, outFeatures] = [sizes[layer], sizes[layer + 1]];
    const x = run.inputs[layer];
    // dW (out, in) = d^T x; db = the sum of d's rows
    kernels.gemm(
      true,
      false,
      outFeatures,
      inFeatures,
      R,
      1,
      d,
      outFeatures,
      x,
      inFeatures,
      0,
      gradient.weights[layer],
      inFeatures,
    );
    const bias = gradient.biases[layer];
    for (let r = 0; r < R; r++) for (let o = 0; o < outFeatures; o++) bias[o] += d[r * outFeatures + o];
    // dx = d W, then through the activation that made x (none for the rows)
    const dx = layer === 0 ? gradient.rows : new Float32Array(R * inFeatures);
    kernels.gemm(
      false,
      false,
      R,
      inFeatures,
      outFeatures,
      1,
      d,
      outFeatures,
      mlp.weights[layer],
      inFeatures,
      0,
      dx,
      inFeatures,
    );
    if (layer > 0)
      for (let i = 0; i < dx.length; i++) dx[i] *= activation === 'tanh' ? 1 - x[i] * x[i] : x[i] > 0 ? 1 : 0;
    d = dx;
  }
  return gradient.values;
}
