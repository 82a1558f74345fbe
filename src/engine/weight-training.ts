// Full fine-tuning in the engine: a model's weights as float32 views of one buffer (what an optimizer steps
// as one vector; block-quantized matrices are expanded), buffers of the same shapes where the backward
// pass sums every weight's gradient, and the weight halves of the backward ops: a projection's
// dW = dYᵀ X and its bias, and the embedding table's rows. (A norm's weight is the kernels'
// rmsnormWeightBackward.) It does not read or write model files.
import { ValidationError } from '../errors/index.js';
import type { ModelConfig } from './config.js';
import type { Kernels } from './kernels/index.js';
import { isQuantized, matrixChunks } from './matrix.js';
import type { LayerWeights, Matrix, ModelWeights } from './weights/types.js';

/** A layer's parameters in the order packWeights lays them out. */
export const LAYER_PARAMETERS = [
  'attentionNorm',
  'query',
  'key',
  'value',
  'queryBias',
  'keyBias',
  'valueBias',
  'queryNorm',
  'keyNorm',
  'attentionOutput',
  'postAttentionNorm',
  'mlpNorm',
  'postMlpNorm',
  'gate',
  'up',
  'down',
] as const satisfies readonly (keyof LayerWeights)[];

/** Float32 weights being trained and the buffers their gradients are summed into (the same shapes). */
export interface WeightTraining {
  weights: ModelWeights;
  gradients: ModelWeights;
}

/** Values a tensor takes in the packed buffer: its own, rounded up so the next starts on 64 bytes (as BLAS likes). */
const aligned = (count: number) => Math.ceil(count / 16) * 16;

const valueCount = (matrix: Matrix) => (isQuantized(matrix) ? matrix.rows * matrix.columns : matrix.length);

/**
 * The model's weights in one float32 buffer and ModelWeights viewing it: embedding, each layer's
 * parameters in LAYER_PARAMETERS order (those it has), final norm, then the classifier unless it is the
 * embedding itself (tied: one view, whose gradient sums both uses). Each view starts on 64 bytes; the
 * few values between views stay zero (no gradient reaches them). `zero` gives the same shapes holding
 * zeros (where gradients are summed) instead of a copy.
 */
export function packWeights(
  weights: ModelWeights,
  fill: 'copy' | 'zero' = 'copy',
): { weights: ModelWeights; values: Float32Array } {
  const tied = weights.classifier === weights.embedding;
  let size = aligned(valueCount(weights.embedding)) + aligned(weights.finalNorm.length);
  if (!tied) size += aligned(valueCount(weights.classifier));
  for (const layer of weights.layers)
    for (const name of LAYER_PARAMETERS) {
      const parameter = layer[name];
      if (parameter) size += aligned(valueCount(parameter));
    }
  const values = new Float32Array(size);
  let offset = 0;
  const place = <T extends Matrix | null>(parameter: T): T extends null ? null : Float32Array => {
    if (!parameter) return null as T extends null ? null : Float32Array;
    const view = values.subarray(offset, offset + valueCount(parameter));
    offset += aligned(view.length);
    if (fill === 'copy') {
      let at = 0;
      for (const chunk of matrixChunks(parameter)) {
        view.set(chunk, at);
        at += chunk.length;
      }
    }
    return view as T extends null ? null : Float32Array;
  };
  const embedding = place(weights.embedding);
  const layers = weights.layers.map((layer) => {
    const packed = {} as Record<(typeof LAYER_PARAMETERS)[number], Float32Array | null>;
    for (const name of LAYER_PARAMETERS) packed[name] = place(layer[name]);
    return packed as LayerWeights;
  });
  const finalNorm = place(weights.finalNorm);
  const classifier = tied ? embedding : place(weights.classifier);
  return { weights: { embedding, layers, finalNorm, classifier }, values };
}

/** Refuses training weights that are not float32 (a block-quantized matrix has no values to step). */
export function checkWeightsTrainable(weights: ModelWeights): void {
  const quantized = [weights.embedding, weights.classifier, ...weights.layers.flatMap(Object.values)].some(
    (parameter) => parameter && !(parameter instanceof Float32Array) && isQuantized(parameter as Matrix),
  );
  if (quantized)
    throw new ValidationError('the weights being trained include a block-quantized matrix', {
      code: 'WEIGHT_TRAINING_QUANTIZED',
      hint: 'Train a float32 copy: packWeights expands quantized matrices.',
    });
}

/**
 * The weight half of linearBackward: dweight (out, in) += doutᵀ inp, and dbias (out) += the sum of dout's
 * rows when the projection has a bias.
 */
export function linearWeightBackward(
  kernels: Kernels,
  dweight: Float32Array,
  dbias: Float32Array | null,
  dout: Float32Array,
  inp: Float32Array,
  n: number,
  inFeatures: number,
  outFeatures: number,
): void {
  kernels.gemm(
    true,
    false,
    outFeatures,
    inFeatures,
    n,
    1,
    dout,
    outFeatures,
    inp,
    inFeatures,
    1,
    dweight,
    inFeatures,
  );
  if (!dbias) return;
  for (let row = 0; row < n; row++)
    for (let o = 0; o < outFeatures; o++) dbias[o] += dout[row * outFeatures + o];
}

/**
 * The embedding table's gradient: the input-embedding gradient of each position holding a token
 * (tokens[i] >= 0) added to that token's row, times the embedding scale (Gemma) the lookup applied.
 */
export function embeddingBackward(
  config: ModelConfig,
  dtable: Float32Array,
  dembeddings: Float32Array,
  tokens: Int32Array,
  n: number,
): void {
  const C = config.hiddenSize;
  const scale = config.embeddingScale === undefined ? 1 : Math.fround(config.embeddingScale);
  for (let i = 0; i < n; i++) {
    const id = tokens[i];
    if (id < 0) continue;
    for (let c = 0; c < C; c++) dtable[id * C + c] += scale * dembeddings[i * C + c];
  }
}
