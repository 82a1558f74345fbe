// PEFT's reparameterized prefix (prefix_projection): the prefix is not learned directly but made by a
// two-layer MLP from P learned vectors, out = tanh(E W1^T + b1) W2^T + b2, which Li & Liang found trains
// more stably. The MLP is the training-time form only: what is saved and served is its output, as PEFT
// saves it. Its parameters live in one vector (E, W1, b1, W2, b2, PEFT's order) for the optimizer.
import type { Kernels, Random } from '../engine/index.js';

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

/** An MLP whose weights are views of one vector, `values`. */
export interface PrefixProjection extends ProjectionWeights {
  shape: ProjectionShape;
  values: Float32Array;
}

/** The sizes of the weights, in `values` order. */
function sizes(shape: ProjectionShape): number[] {
  const { virtualTokens: P, width, layers: L, hidden } = shape;
  return [P * width, hidden * width, hidden, L * 2 * width * hidden, L * 2 * width];
}

/** Packs `weights` (copied) into one vector with views. */
export function prefixProjection(weights: ProjectionWeights, shape: ProjectionShape): PrefixProjection {
  const parts = [
    weights.embedding,
    weights.hiddenWeight,
    weights.hiddenBias,
    weights.outputWeight,
    weights.outputBias,
  ];
  return viewProjection(Float32Array.from(parts.flatMap((part) => Array.from(part))), shape);
}

/** The MLP viewing `values` (laid out as prefixProjection packs it). */
export function viewProjection(values: Float32Array, shape: ProjectionShape): PrefixProjection {
  let offset = 0;
  const [embedding, hiddenWeight, hiddenBias, outputWeight, outputBias] = sizes(shape).map((size) =>
    values.subarray(offset, (offset += size)),
  );
  return { shape, values, embedding, hiddenWeight, hiddenBias, outputWeight, outputBias };
}

/** A new MLP as PEFT starts one: E standard normal, each Linear uniform in ±1/sqrt(in) (weights and biases). */
export function initPrefixProjection(shape: ProjectionShape, random: Random): PrefixProjection {
  const values = new Float32Array(sizes(shape).reduce((sum, size) => sum + size, 0));
  const projection = viewProjection(values, shape);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const uniform = (bound: number) => () => (random() * 2 - 1) * bound;
  const fill = (part: Float32Array, draw: () => number) => part.forEach((_, i) => (part[i] = draw()));
  fill(projection.embedding, normal);
  fill(projection.hiddenWeight, uniform(1 / Math.sqrt(shape.width)));
  fill(projection.hiddenBias, uniform(1 / Math.sqrt(shape.width)));
  fill(projection.outputWeight, uniform(1 / Math.sqrt(shape.hidden)));
  fill(projection.outputBias, uniform(1 / Math.sqrt(shape.hidden)));
  return projection;
}

/** The MLP's forward: the hidden activations (kept for its backward) and the prefix in PEFT's layout. */
export interface ProjectedPrefix {
  hidden: Float32Array; // (P, hidden) after tanh
  output: Float32Array; // (P, L * 2 * width)
}

/** Runs the MLP over its P vectors. */
export function projectPrefix(kernels: Kernels, projection: PrefixProjection): ProjectedPrefix {
  const { virtualTokens: P, width, layers: L, hidden: H } = projection.shape;
  const O = L * 2 * width;
  const hidden = new Float32Array(P * H);
  for (let p = 0; p < P; p++) hidden.set(projection.hiddenBias, p * H);
  kernels.gemm(
    false,
    true,
    P,
    H,
    width,
    1,
    projection.embedding,
    width,
    projection.hiddenWeight,
    width,
    1,
    hidden,
    H,
  );
  for (let i = 0; i < hidden.length; i++) hidden[i] = Math.tanh(hidden[i]);
  const output = new Float32Array(P * O);
  for (let p = 0; p < P; p++) output.set(projection.outputBias, p * O);
  kernels.gemm(false, true, P, O, H, 1, hidden, H, projection.outputWeight, H, 1, output, O);
  return { hidden, output };
}

/** The MLP's backward: d loss / d its parameters (in `values` order) from d loss / d its output. */
export function projectionBackward(
  kernels: Kernels,
  projection: PrefixProjection,
  projected: ProjectedPrefix,
  doutput: Float32Array,
): Float32Array {
  const { virtualTokens: P, width, layers: L, hidden: H } = projection.shape;
  const O = L * 2 * width;
  const gradient = viewProjection(new Float32Array(projection.values.length), projection.shape);
  // dW2 (O, H) = dout^T h; db2 = the sum of dout's rows
  kernels.gemm(true, false, O, H, P, 1, doutput, O, projected.hidden, H, 0, gradient.outputWeight, H);
  for (let p = 0; p < P; p++) for (let o = 0; o < O; o++) gradient.outputBias[o] += doutput[p * O + o];
  // through tanh: dz = (dout W2) * (1 - h^2)
  const dz = new Float32Array(P * H);
  kernels.gemm(false, false, P, H, O, 1, doutput, O, projection.outputWeight, H, 0, dz, H);
  for (let i = 0; i < dz.length; i++) dz[i] *= 1 - projected.hidden[i] * projected.hidden[i];
  // dW1 (H, width) = dz^T E; db1 = the sum of dz's rows; dE (P, width) = dz W1
  kernels.gemm(
    true,
    false,
    H,
    width,
    P,
    1,
    dz,
    H,
    projection.embedding,
    width,
    0,
    gradient.hiddenWeight,
    width,
  );
  for (let p = 0; p < P; p++) for (let h = 0; h < H; h++) gradient.hiddenBias[h] += dz[p * H + h];
  kernels.gemm(
    false,
    false,
    P,
    width,
    H,
    1,
    dz,
    H,
    projection.hiddenWeight,
    width,
    0,
    gradient.embedding,
    width,
  );
  return gradient.values;
}
