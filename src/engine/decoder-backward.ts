// The decoder's backward pass to its input embeddings: the mirror of decoder.ts, calling each op's
// backward in exactly the reverse order of the forward, from d loss / d (last layer's output) to
// d loss / d (first layer's input). The model's weights stay frozen: each linear layer's backward is one
// GEMM against its weight, plus, when a LoRA adapter is being trained, the adapter's gradients; a
// key/value prefix being trained takes the gradients at its keys and values after the attention's backward.
// When the weights themselves are trained (full fine-tuning), every projection, bias and norm weight sums
// its gradient too.
import { ValidationError } from '../errors/index.js';
import { rotaryDims, usesSlidingWindow } from './config.js';
import { linearBackward } from './matrix.js';
import { prefixAsPastBackward } from './key-value-prefix.js';
import { lowRankBackward, type Projection } from './low-rank.js';
import type { AdapterTraining } from './model-adapter.js';
import { attentionScale, layerRotation, type DecoderModel } from './decoder.js';
import type { TrainingActivations } from './training-activations.js';
import { linearWeightBackward } from './weight-training.js';

/**
 * Backpropagates `act.dresidual` (B, T, C), the gradient at the last layer's output, through every
 * layer; leaves the gradient at the first layer's input in `act.dresidual`. With `training` (whose adapter
 * the forward pass gave every row; for LoRA, over activations that kept the projections' inputs), also
 * sums the adapter's gradients.
 */
export function decoderBackward(
  model: DecoderModel,
  act: TrainingActivations,
  training?: AdapterTraining,
): void {
  for (let l = model.config.layers - 1; l >= 0; l--) layerBackward(model, l, act, training);
}

function layerBackward(
  model: DecoderModel,
  l: number,
  act: TrainingActivations,
  training: AdapterTraining | undefined,
): void {
  const { config, kernels } = model;
  const lowRank = training && 'adapter' in training ? training : undefined;
  const prefix = training && 'prefix' in training ? training : undefined;
  const dw = training && 'weights' in training ? training.gradients.layers[l] : undefined;
  const w = model.weights.layers[l];
  const a = act.layers[l];
  const { batch: B, time: T } = act;
  const N = B * T;
  /** The input gradient of a projection (frozen weight and, when training one, its adapter). */
  const project = (
    name: Projection,
    dinp: Float32Array,
    dout: Float32Array,
    inp: Float32Array,
    inFeatures: number,
    outFeatures: number,
  ) => {
    linearBackward(kernels, dinp, dout, w[name], N, inFeatures, outFeatures);
    if (lowRank) lowRankBackward(kernels, dinp, dout, inp, lowRank, l, name, N, inFeatures, outFeatures);
    if (dw) {
      const bias = biasOf[name];
      const dbias = bias ? dw[bias] : null;
      linearWeightBackward(kernels, dw[name] as Float32Array, dbias, dout, inp, N, inFeatures, outFeatures);
    }
  };
  /** dinp += the gradient of a norm at inp, and its weight's gradient when training the weights. */
  const norm = (
    name: NormName,
    dinp: Float32Array,
    dout: Float32Array,
    inp: Float32Array,
    rstd: Float32Array,
    rows: number,
    channels: number,
  ) => {
    kernels.rmsnormBackward(dinp, dout, inp, w[name]!, rstd, rows, channels);
    if (dw) kernels.rmsnormWeightBackward(dw[name]!, dout, inp, rstd, rows, channels);
  };
  const { hiddenSize: C, heads: H, kvHeads: KVH, headDim: hd, intermediateSize: I } = config;
  const interleaved = config.ropeStyle === 'interleaved';
  const rotary = rotaryDims(config);
  const { cosines, sines } = layerRotation(config, act, l);
  // MLP block: output = middle + postnorm?(down(act(gate(normed2)) * up(normed2)))
  act.dmiddle.set(act.dresidual);
  let dprojected = postNormBackward(
    model,
    act,
    act.dresidual,
    w.postMlpNorm,
    a.mlpOutputUnnormed,
    a.mlpOutputRstd,
    dw?.postMlpNorm ?? null,
  );
  act.dhidden.fill(0);
  project('down', act.dhidden, dprojected, a.hidden, I, C);
  act.dgate.fill(0);
  act.dup.fill(0);
  if (config.mlpActivation === 'gelu-tanh')
    kernels.gegluBackward(act.dgate, act.dup, act.dhidden, a.gate, a.up, N * I);
  else kernels.swigluBackward(act.dgate, act.dup, act.dhidden, a.gate, a.up, N * I);
  act.dnormed.fill(0);
  project('gate', act.dnormed, act.dgate, a.normed2, C, I);
  project('up', act.dnormed, act.dup, a.normed2, C, I);
  norm('mlpNorm', act.dmiddle, act.dnormed, a.middle, a.rstd2, N, C);
  // attention block: middle = input + postnorm?(output(attention(rope(q), rope(k), v)))
  act.dresidual.set(act.dmiddle);
  dprojected = postNormBackward(
    model,
    act,
    act.dmiddle,
    w.postAttentionNorm,
    a.attentionOutputUnnormed,
    a.attentionOutputRstd,
    dw?.postAttentionNorm ?? null,
  );
  act.dattention.fill(0);
  project('attentionOutput', act.dattention, dprojected, a.attention, H * hd, C);
  // with a prefix attended as a past, attention read (B, P + T) keys and values, the prefix's first
  const past = a.attendedKeys ? act.pastLengths : null;
  if ((past !== null) !== (prefix !== undefined))
    throw new ValidationError('a prefix trains only over activations that attend to it as a past', {
      code: 'FORWARD_INPUT',
      hint: 'Train a prefix through inputGradients, which allocates those activations.',
    });
  const dkeys = past ? act.dattendedKeys! : act.dkey;
  const dvalues = past ? act.dattendedValues! : act.dvalue;
  act.dquery.fill(0);
  dkeys.fill(0);
  dvalues.fill(0);
  kernels.attentionBackward(
    act.dquery,
    dkeys,
    dvalues,
    act.dattention,
    a.logSumExps!,
    a.query,
    a.attendedKeys ?? a.key,
    a.attendedValues ?? a.value,
    past,
    B,
    T,
    past ? a.attendedKeys!.length / (B * KVH * hd) : T,
    H,
    KVH,
    hd,
    usesSlidingWindow(config, l) ? config.slidingWindow! : 0,
    attentionScale(config),
    config.attentionSoftcap ?? 0,
  );
  if (past) prefixAsPastBackward(act.dkey, act.dvalue, dkeys, dvalues, prefix!, l, B, T, KVH * hd);
  if (!config.layersWithoutRope?.includes(l)) {
    kernels.ropeBackward(act.dquery, act.dquery, cosines, sines, N, H, hd, rotary, interleaved);
    kernels.ropeBackward(act.dkey, act.dkey, cosines, sines, N, KVH, hd, rotary, interleaved);
  }
  if (w.queryNorm && w.keyNorm) {
    // through QK-norm; dattention is free again (attentionBackward has read it) and large enough
    const scratch = act.dattention;
    scratch.fill(0, 0, N * H * hd);
    norm('queryNorm', scratch, act.dquery, a.queryUnnormed!, a.queryRstd!, N * H, hd);
    act.dquery.set(scratch.subarray(0, N * H * hd));
    scratch.fill(0, 0, N * KVH * hd);
    norm('keyNorm', scratch, act.dkey, a.keyUnnormed!, a.keyRstd!, N * KVH, hd);
    act.dkey.set(scratch.subarray(0, N * KVH * hd));
  }
  act.dnormed.fill(0);
  project('query', act.dnormed, act.dquery, a.normed1, C, H * hd);
  project('key', act.dnormed, act.dkey, a.normed1, C, KVH * hd);
  project('value', act.dnormed, act.dvalue, a.normed1, C, KVH * hd);
  norm('attentionNorm', act.dresidual, act.dnormed, a.input, a.rstd1, N, C);
}

/** A layer's norms that the backward pass goes through with the norm helper. */
type NormName = 'attentionNorm' | 'mlpNorm' | 'queryNorm' | 'keyNorm';

/** The bias each projection may have. */
const biasOf: Partial<Record<Projection, 'queryBias' | 'keyBias' | 'valueBias'>> = {
  query: 'queryBias',
  key: 'keyBias',
  value: 'valueBias',
};

/**
 * Through a block's post-norm (Gemma's sandwich norms), if the layer has one: the gradient at the block's
 * projection output, in dnormed (free until the block's input projections' backward), or dout itself;
 * the norm's weight gradient into dweight when training the weights.
 */
function postNormBackward(
  model: DecoderModel,
  act: TrainingActivations,
  dout: Float32Array,
  weight: Float32Array | null,
  unnormed: Float32Array | null,
  rstd: Float32Array | null,
  dweight: Float32Array | null,
): Float32Array {
  if (!weight) return dout;
  const N = act.batch * act.time;
  const C = model.config.hiddenSize;
  act.dnormed.fill(0);
  model.kernels.rmsnormBackward(act.dnormed, dout, unnormed!, weight, rstd!, N, C);
  if (dweight) model.kernels.rmsnormWeightBackward(dweight, dout, unnormed!, rstd!, N, C);
  return act.dnormed;
}
