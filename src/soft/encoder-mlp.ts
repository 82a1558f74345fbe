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
  const { rows: count, sizes, activation } = mlp.shape;
  const inputs: Float32Array[] = [];
  let input = mlp.rows;
  for (let layer = 0; layer + 1 < sizes.length; layer++) {
    inputs.push(input);
    const [inFeatures, outFeatures] = [sizes[layer], sizes[layer + 1]];
    const output = new Float32Array(count * outFeatures);
    for (let row = 0; row < count; row++) output.set(mlp.biases[layer], row * outFeatures);
    const weight = mlp.weights[layer];
    kernels.gemm(
      false,
      true,
      count,
      outFeatures,
      inFeatures,
      1,
      input,
      inFeatures,
      weight,
      inFeatures,
      1,
      output,
      outFeatures,
    );
    if (layer + 2 < sizes.length)
      for (let i = 0; i < output.length; i++)
        output[i] = activation === 'tanh' ? Math.tanh(output[i]) : Math.max(0, output[i]);
    input = output;
  }
  return { inputs, output: input };
}

/** d loss / d the MLP's parameters (in `values` order) from d loss / d its output. */
export function mlpBackward(
  kernels: Kernels,
  mlp: EncoderMlp,
  run: MlpRun,
  outputGradient: Float32Array,
): Float32Array {
  const { rows: count, sizes, activation } = mlp.shape;
  const gradient = viewMlp(new Float32Array(mlp.values.length), mlp.shape);
  let upstream = outputGradient; // d loss / d this layer's output
  for (let layer = sizes.length - 2; layer >= 0; layer--) {
    const [inFeatures, outFeatures] = [sizes[layer], sizes[layer + 1]];
    const input = run.inputs[layer];
    // d weight (out, in) = upstream^T input; d bias = the sum of upstream's rows
    const weightGradient = gradient.weights[layer];
    kernels.gemm(
      true,
      false,
      outFeatures,
      inFeatures,
      count,
      1,
      upstream,
      outFeatures,
      input,
      inFeatures,
      0,
      weightGradient,
      inFeatures,
    );
    const biasGradient = gradient.biases[layer];
    for (let row = 0; row < count; row++)
      for (let o = 0; o < outFeatures; o++) biasGradient[o] += upstream[row * outFeatures + o];
    // d input = upstream weight, then back through the activation that made the input (the rows have none)
    const inputGradient = layer === 0 ? gradient.rows : new Float32Array(count * inFeatures);
    const weight = mlp.weights[layer];
    kernels.gemm(
      false,
      false,
      count,
      inFeatures,
      outFeatures,
      1,
      upstream,
      outFeatures,
      weight,
      inFeatures,
      0,
      inputGradient,
      inFeatures,
    );
    if (layer > 0)
      for (let i = 0; i < inputGradient.length; i++)
        inputGradient[i] *= activation === 'tanh' ? 1 - input[i] * input[i] : input[i] > 0 ? 1 : 0;
    upstream = inputGradient;
  }
  return gradient.values;
}
