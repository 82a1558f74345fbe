// The decoder's forward pass, written once: embeddings -> layers -> final norm and classifier. It
// serves inference (one layer's buffers reused, the residual updated in place), cached generation
// (keys and values appended to a KV cache, attention over it) and training (every layer's buffers
// kept for decoderBackward). Architectures differ by config and weights only; it owns no buffers.
import { ValidationError } from '../errors/index.js';
import { embeddingLookup, embeddingRow, linearForward } from './matrix.js';
import { rotaryDims, usesSlidingWindow, type ModelConfig } from './config.js';
import type { Kernels } from './kernels/index.js';
import type { KVCache } from './kv-cache.js';
import { keyValueWidth, prefixAsPast, prefixForward, type KeyValuePrefix } from './key-value-prefix.js';
import { lowRankForward, type LowRankAdapter, type Projection } from './low-rank.js';
import { adaptersOfKind, isKeyValuePrefix, isLowRankAdapter, type ModelAdapter } from './model-adapter.js';
import { ropeAngles } from './rope.js';
import type { ModelWeights } from './weights/types.js';

/** What the forward pass reads of a model. */
export interface DecoderModel {
  config: ModelConfig;
  weights: ModelWeights;
  kernels: Kernels;
  inverseFrequencies: Float32Array;
  /** RoPE frequencies of the sliding-window layers when they have their own base (Gemma 3), else null. */
  localInverseFrequencies: Float32Array | null;
}

/**
 * One layer's activations. Inference gives every layer the same views, with input, middle and output
 * one buffer (the residual stream, updated in place); training gives each layer its own, with a
 * layer's output the next layer's input.
 */
export interface LayerActivations {
  input: Float32Array; // (B, T, C) the residual stream entering the layer
  normed1: Float32Array; // (B, T, C) RMSNorm before attention
  rstd1: Float32Array; // (B, T)
  query: Float32Array; // (B, T, H*hd) rotated in place
  key: Float32Array; // (B, T, KVH*hd) rotated in place
  /** With QK-norm (Qwen3): 1/rms of each query and key head, and for a backward pass their values before it. */
  queryRstd: Float32Array | null; // (B, T, H)
  keyRstd: Float32Array | null; // (B, T, KVH)
  queryUnnormed: Float32Array | null; // (B, T, H*hd), training only
  keyUnnormed: Float32Array | null; // (B, T, KVH*hd), training only
  value: Float32Array; // (B, T, KVH*hd)
  /**
   * With a prefix attended as a past (training one): the keys and values attention reads, the prefix's P
   * first in every row, then the row's own; else null (attention reads key and value, or the cache).
   */
  attendedKeys: Float32Array | null; // (B, P+T, KVH*hd)
  attendedValues: Float32Array | null; // (B, P+T, KVH*hd)
  /** Each query's log softmax normalizer, kept only for a backward pass (which recomputes the weights). */
  logSumExps: Float32Array | null; // (B, H, T)
  attention: Float32Array; // (B, T, H*hd) attention output before its projection
  projected: Float32Array; // (B, T, C) attention or MLP output before the residual add
  /** With sandwich norms (Gemma), training only: each block's output before its post-norm, and 1/rms. */
  attentionOutputUnnormed: Float32Array | null; // (B, T, C)
  attentionOutputRstd: Float32Array | null; // (B, T)
  mlpOutputUnnormed: Float32Array | null; // (B, T, C)
  mlpOutputRstd: Float32Array | null; // (B, T)
  middle: Float32Array; // (B, T, C) the residual stream after attention
  normed2: Float32Array; // (B, T, C) RMSNorm before the MLP
  rstd2: Float32Array; // (B, T)
  gate: Float32Array; // (B, T, I)
  up: Float32Array; // (B, T, I)
  hidden: Float32Array; // (B, T, I) silu(gate) * up (gelu with GeGLU)
  output: Float32Array; // (B, T, C) the residual stream leaving the layer
}

/** The activations of a whole (B, T) pass: per-layer views and the rotation of each position. */
export interface DecoderActivations {
  batch: number; // B
  time: number; // T
  layers: LayerActivations[]; // L
  positions: Int32Array; // (B, T) absolute positions
  cosines: Float32Array; // (B, T, rotary/2) RoPE rotation of each position
  sines: Float32Array; // (B, T, rotary/2)
  /** The rotation in the sliding-window layers when they have their own RoPE base (Gemma 3), else null. */
  localCosines: Float32Array | null; // (B, T, rotary/2)
  localSines: Float32Array | null; // (B, T, rotary/2)
}

/** The input of a pass: token ids or input embeddings, the cache it extends (if any), and adapters. */
export interface DecoderInput {
  tokens?: Int32Array; // (B, T)
  embeddings?: Float32Array; // (B, T, C)
  cache?: KVCache;
  /**
   * Each row's adapter (null: the frozen model): LoRA, rows sharing one adjacent for speed; or a key/value
   * prefix, whose row starts with its P placeholder positions.
   */
  adapters?: readonly (ModelAdapter | null)[]; // (B)
  /**
   * A key/value prefix every row attends to before its own positions, which start at P: as `adapters`
   * gives it, but without placeholder positions (training a prefix). Not with a cache; needs activations
   * with attended keys and values.
   */
  pastPrefix?: KeyValuePrefix;
}

/** What each layer runs with beside its weights: a cache, the rows' adapters, a prefix as a past. */
interface LayerInput {
  cache?: KVCache;
  lowRank?: readonly (LowRankAdapter | null)[];
  prefixes?: readonly (KeyValuePrefix | null)[];
  pastPrefix?: KeyValuePrefix;
  /** (B) each row's past: P with a past prefix */
  pastLengths: Int32Array | null;
}

/**
 * Runs the layers over a right-padded batch; returns the residual stream after the last layer
 * (B, T, C). With a cache, row b's positions continue from its cached length, and this pass's keys and
 * values are appended to it (the caller advances the lengths).
 */
export function decoderForward(
  model: DecoderModel,
  act: DecoderActivations,
  input: DecoderInput,
): Float32Array {
  const { config, weights, kernels } = model;
  const { batch: B, time: T } = act;
  const N = B * T;
  const C = config.hiddenSize;
  const { cache, pastPrefix } = input;
  if (pastPrefix && (cache || !act.layers[0].attendedKeys))
    throw new ValidationError('a prefix attended as a past needs training activations and no cache', {
      code: 'FORWARD_INPUT',
      hint: 'Train a prefix through inputGradients; serve one through its placeholders (adapters).',
    });
  const past = pastPrefix ? new Int32Array(B).fill(pastPrefix.length) : cache ? cache.lengths : null;
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) act.positions[b * T + t] = (past ? past[b] : 0) + t;
  // the rotation angles depend only on positions: computed once, used by every layer
  const factor = config.ropeAttentionFactor ?? 1;
  ropeAngles(act.cosines, act.sines, act.positions, model.inverseFrequencies, N, factor);
  if (model.localInverseFrequencies && act.localCosines && act.localSines)
    ropeAngles(act.localCosines, act.localSines, act.positions, model.localInverseFrequencies, N, factor);
  const first = act.layers[0].input;
  if (input.tokens) {
    embeddingLookup(kernels, first, input.tokens, weights.embedding, N, C);
    scaleEmbeddings(config, first.subarray(0, N * C));
  } else first.set(input.embeddings!.subarray(0, N * C));
  const layerInput: LayerInput = {
    cache,
    lowRank: adaptersOfKind(input.adapters, isLowRankAdapter),
    prefixes: adaptersOfKind(input.adapters, isKeyValuePrefix),
    pastPrefix,
    pastLengths: past,
  };
  for (let l = 0; l < config.layers; l++) layerForward(model, l, act, layerInput);
  return act.layers[config.layers - 1].output;
}

/**
 * The token embedding of `id` as it enters the residual stream (scaled, for Gemma): what a soft prompt's
 * initialization and surrounding tokens are made of. Read-only: it may be a view of the weights.
 */
export function tokenEmbeddingRow(model: DecoderModel, id: number): Float32Array {
  const row = embeddingRow(model.kernels, model.weights.embedding, id, model.config.hiddenSize);
  if (model.config.embeddingScale === undefined) return row;
  const scaled = row.slice(); // never scale the table itself
  scaleEmbeddings(model.config, scaled);
  return scaled;
}

/** Multiplies looked-up token embeddings by the config's embedding scale (Gemma), in float32 as transformers. */
function scaleEmbeddings(config: ModelConfig, values: Float32Array): void {
  if (config.embeddingScale === undefined) return;
  const scale = Math.fround(config.embeddingScale);
  for (let i = 0; i < values.length; i++) values[i] *= scale;
}

/** The RoPE angles layer `l` rotates by: Gemma 3's local layers have their own base, the others share one. */
export function layerRotation(
  config: ModelConfig,
  act: DecoderActivations,
  l: number,
): { cosines: Float32Array; sines: Float32Array } {
  if (usesSlidingWindow(config, l) && act.localCosines && act.localSines)
    return { cosines: act.localCosines, sines: act.localSines };
  return { cosines: act.cosines, sines: act.sines };
}

/** The score scale of attention: 1/sqrt(headDim) unless the config says otherwise. */
export function attentionScale(config: ModelConfig): number {
  return config.attentionScale ?? 1 / Math.sqrt(config.headDim);
}

/**
 * One decoder layer: pre-norm attention (GQA, RoPE, optional sliding window) and a gated MLP (SwiGLU or
 * GeGLU), each block's output RMS-normed again before its residual add when the model has sandwich norms.
 */
function layerForward(model: DecoderModel, l: number, act: DecoderActivations, input: LayerInput) {
  const { cache, lowRank: adapters, prefixes, pastPrefix } = input;
  const { config, kernels } = model;
  const w = model.weights.layers[l];
  const a = act.layers[l];
  const { batch: B, time: T } = act;
  const N = B * T;
  const { hiddenSize: C, heads: H, kvHeads: KVH, headDim: hd, intermediateSize: I, rmsNormEps: eps } = config;
  const interleaved = config.ropeStyle === 'interleaved';
  const sliding = usesSlidingWindow(config, l);
  const { cosines, sines } = layerRotation(config, act, l);
  const rotary = rotaryDims(config);
  /** A linear projection of the frozen model, plus each row's low-rank product when adapters are given. */
  const project = (
    name: Projection,
    out: Float32Array,
    inp: Float32Array,
    bias: Float32Array | null,
    inFeatures: number,
    outFeatures: number,
  ) => {
    linearForward(kernels, out, inp, w[name], bias, N, inFeatures, outFeatures);
    if (adapters) lowRankForward(kernels, out, inp, adapters, l, name, T, inFeatures, outFeatures);
  };
  // attention block: middle = input + output(attention(rope(q), rope(k), v))
  kernels.rmsnormForward(a.normed1, a.rstd1, a.input, w.attentionNorm, N, C, eps);
  project('query', a.query, a.normed1, w.queryBias, C, H * hd);
  project('key', a.key, a.normed1, w.keyBias, C, KVH * hd);
  project('value', a.value, a.normed1, w.valueBias, C, KVH * hd);
  if (w.queryNorm && w.keyNorm) {
    // QK-norm: every head normalized over its hd values, in place (a backward pass keeps the inputs)
    a.queryUnnormed?.set(a.query);
    a.keyUnnormed?.set(a.key);
    kernels.rmsnormForward(a.query, a.queryRstd, a.query, w.queryNorm, N * H, hd, eps);
    kernels.rmsnormForward(a.key, a.keyRstd, a.key, w.keyNorm, N * KVH, hd, eps);
  }
  if (!config.layersWithoutRope?.includes(l)) {
    kernels.ropeForward(a.query, a.query, cosines, sines, N, H, hd, rotary, interleaved);
    kernels.ropeForward(a.key, a.key, cosines, sines, N, KVH, hd, rotary, interleaved);
  }
  if (prefixes) prefixForward(a.key, a.value, prefixes, act.positions, l, T, keyValueWidth(config));
  let keys = a.key;
  let values = a.value;
  let slots = T;
  if (pastPrefix) {
    keys = a.attendedKeys!;
    values = a.attendedValues!;
    prefixAsPast(keys, values, a.key, a.value, pastPrefix, l, B, T, KVH * hd);
    slots = pastPrefix.length + T;
  } else if (cache) {
    // append this pass's keys and values after each row's cached ones, then attend over the cache
    const S = cache.capacity;
    const width = KVH * hd;
    for (let b = 0; b < B; b++) {
      const from = b * T * width;
      const to = (b * S + cache.lengths[b]) * width;
      cache.keys[l].set(a.key.subarray(from, from + T * width), to);
      cache.values[l].set(a.value.subarray(from, from + T * width), to);
    }
    keys = cache.keys[l];
    values = cache.values[l];
    slots = S;
  }
  kernels.attentionForward(
    a.attention,
    a.logSumExps,
    a.query,
    keys,
    values,
    input.pastLengths,
    null,
    B,
    T,
    slots,
    H,
    KVH,
    hd,
    sliding ? config.slidingWindow! : 0,
    attentionScale(config),
    config.attentionSoftcap ?? 0,
  );
  project('attentionOutput', a.projected, a.attention, null, H * hd, C);
  if (w.postAttentionNorm) {
    a.attentionOutputUnnormed?.set(a.projected.subarray(0, N * C));
    kernels.rmsnormForward(a.projected, a.attentionOutputRstd, a.projected, w.postAttentionNorm, N, C, eps);
  }
  kernels.addForward(a.middle, a.input, a.projected, N * C);
  // MLP block: output = middle + down(act(gate(normed2)) * up(normed2)), act SiLU or GELU
  kernels.rmsnormForward(a.normed2, a.rstd2, a.middle, w.mlpNorm, N, C, eps);
  project('gate', a.gate, a.normed2, null, C, I);
  project('up', a.up, a.normed2, null, C, I);
  if (config.mlpActivation === 'gelu-tanh') kernels.gegluForward(a.hidden, a.gate, a.up, N * I);
  else kernels.swigluForward(a.hidden, a.gate, a.up, N * I);
  project('down', a.projected, a.hidden, null, I, C);
  if (w.postMlpNorm) {
    a.mlpOutputUnnormed?.set(a.projected.subarray(0, N * C));
    kernels.rmsnormForward(a.projected, a.mlpOutputRstd, a.projected, w.postMlpNorm, N, C, eps);
  }
  kernels.addForward(a.output, a.middle, a.projected, N * C);
}

/**
 * The output head over `count` rows of the residual stream: final RMSNorm (keeping 1/rms in `rstd`
 * when a backward pass needs it) and the classifier, into `logits` (count, V), soft-capped when the
 * model caps its logits (Gemma 2).
 */
export function outputHeadForward(
  model: DecoderModel,
  logits: Float32Array,
  normed: Float32Array,
  rstd: Float32Array | null,
  residual: Float32Array,
  count: number,
): void {
  const { config, weights, kernels } = model;
  const C = config.hiddenSize;
  kernels.rmsnormForward(normed, rstd, residual, weights.finalNorm, count, C, config.rmsNormEps);
  linearForward(kernels, logits, normed, weights.classifier, null, count, C, config.vocabularySize);
  if (config.logitSoftcap !== undefined)
    kernels.softcapForward(logits, logits, config.logitSoftcap, count * config.vocabularySize);
}
