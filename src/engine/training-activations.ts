// Activations kept for a backward pass, in one allocation: per layer only what the backward ops read
// (each layer's input, middle, 1/rms, rotated query and key, value, attention log normalizers, gate and up);
// what they do not read (normed inputs, attention output, MLP hidden, projections) is one set of
// buffers all layers share, unless weight gradients need the projections' inputs. With a prefix attended
// as a past, attention's keys and values (the prefix's, then the row's) are what a layer keeps. Plus the
// gradient buffers, reused layer after layer. The output head's buffers are sized by the targeted
// positions, not the batch (allocateOutputHeadActivations).
import { carve } from './activations.js';
import { rotaryDims, type ModelConfig } from './config.js';
import type { DecoderActivations, LayerActivations } from './decoder.js';

/** Everything a forward-and-backward pass over (B, T) needs. */
export interface TrainingActivations extends DecoderActivations {
  output: Float32Array; // (B, T, C) the residual stream after the last layer
  // gradients, reused layer after layer
  dresidual: Float32Array; // (B, T, C)
  dmiddle: Float32Array; // (B, T, C)
  dnormed: Float32Array; // (B, T, C)
  dattention: Float32Array; // (B, T, H*hd)
  dquery: Float32Array; // (B, T, H*hd)
  dkey: Float32Array; // (B, T, KVH*hd)
  dvalue: Float32Array; // (B, T, KVH*hd)
  /**
   * With a prefix attended as a past (else null): each row's past P, and the gradients at the keys and
   * values attention read.
   */
  pastLengths: Int32Array | null; // (B)
  dattendedKeys: Float32Array | null; // (B, P+T, KVH*hd)
  dattendedValues: Float32Array | null; // (B, P+T, KVH*hd)
  dhidden: Float32Array; // (B, T, I)
  dgate: Float32Array; // (B, T, I)
  dup: Float32Array; // (B, T, I)
}

/**
 * The output head's buffers for up to `rows` positions (M): training runs the head on the targeted
 * positions only, gathered from the last layer's output, so a batch of long sequences with a few targets
 * each holds M × V logits, not B × T × V.
 */
export interface OutputHeadActivations {
  rows: number; // capacity M
  input: Float32Array; // (M, C) the gathered rows of the residual stream
  normed: Float32Array; // (M, C)
  rstd: Float32Array; // (M)
  logits: Float32Array; // (M, V)
  losses: Float32Array; // (M)
  dinput: Float32Array; // (M, C)
  dnormed: Float32Array; // (M, C)
  dlogits: Float32Array; // (M, V)
  dlosses: Float32Array; // (M)
}

/** Allocates the output head's buffers for up to `rows` positions in one block. */
export function allocateOutputHeadActivations(config: ModelConfig, rows: number): OutputHeadActivations {
  const { hiddenSize: C, vocabularySize: V } = config;
  return {
    rows,
    ...carve({
      input: rows * C,
      normed: rows * C,
      rstd: rows,
      logits: rows * V,
      losses: rows,
      dinput: rows * C,
      dnormed: rows * C,
      dlogits: rows * V,
      dlosses: rows,
    }),
  };
}

/** What a training pass keeps beside the common activations. */
export interface TrainingLayout {
  /**
   * Every layer also keeps the inputs of its projections (normed inputs, attention output, MLP hidden),
   * which the gradients of weights (LoRA's or the model's own) are products with.
   */
  keepProjectionInputs?: boolean;
  /**
   * The length P of a prefix every row attends to as a past: each layer keeps attention's keys and values
   * (B, P + T), the prefix's and the row's own, instead of the row's alone.
   */
  past?: number;
}

/** Allocates training activations for a (B, T) batch in one block. */
export function allocateTrainingActivations(
  config: ModelConfig,
  batch: number,
  time: number,
  layout: TrainingLayout = {},
): TrainingActivations {
  const { keepProjectionInputs = false, past = 0 } = layout;
  const N = batch * time;
  const { hiddenSize: C, intermediateSize: I, heads: H, kvHeads: KVH, headDim: hd } = config;
  const attended = past > 0 ? batch * (past + time) * KVH * hd : 0; // one layer's keys (or values) read
  const L = config.layers;
  const angles = (N * rotaryDims(config)) / 2;
  const local = config.localRopeTheta !== undefined;
  const post = config.postNorms === true;
  const views = carve({
    // kept per layer, (L, ...) each
    inputs: L * N * C,
    middles: L * N * C,
    rstds1: L * N,
    rstds2: L * N,
    queries: L * N * H * hd,
    // with a past, the rows' own keys and values are staged once for all layers; attention's are kept
    keys: (past > 0 ? 1 : L) * N * KVH * hd,
    values: (past > 0 ? 1 : L) * N * KVH * hd,
    attendedKeys: L * attended,
    attendedValues: L * attended,
    logSumExps: L * batch * H * time,
    gates: L * N * I,
    ups: L * N * I,
    // QK-norm (Qwen3) only: inputs and 1/rms of every query and key head
    queriesUnnormed: config.queryKeyNorm ? L * N * H * hd : 0,
    keysUnnormed: config.queryKeyNorm ? L * N * KVH * hd : 0,
    queryRstds: config.queryKeyNorm ? L * N * H : 0,
    keyRstds: config.queryKeyNorm ? L * N * KVH : 0,
    // sandwich norms (Gemma) only: each block's output before its post-norm, and 1/rms
    attentionOutputsUnnormed: post ? L * N * C : 0,
    attentionOutputRstds: post ? L * N : 0,
    mlpOutputsUnnormed: post ? L * N * C : 0,
    mlpOutputRstds: post ? L * N : 0,
    // projection inputs: kept per layer for weight gradients, else shared by all layers
    normeds1: (keepProjectionInputs ? L : 1) * N * C,
    normeds2: keepProjectionInputs ? L * N * C : 0,
    attentions: (keepProjectionInputs ? L : 1) * N * H * hd,
    hiddens: (keepProjectionInputs ? L : 1) * N * I,
    // shared by all layers
    projected: N * C,
    cosines: angles,
    sines: angles,
    localCosines: local ? angles : 0,
    localSines: local ? angles : 0,
    output: N * C,
    dresidual: N * C,
    dmiddle: N * C,
    dnormed: N * C,
    dattention: N * H * hd,
    dquery: N * H * hd,
    dkey: N * KVH * hd,
    dvalue: N * KVH * hd,
    dattendedKeys: attended,
    dattendedValues: attended,
    dhidden: N * I,
    dgate: N * I,
    dup: N * I,
  });
  const { inputs, middles, rstds1, rstds2, queries, keys, values, logSumExps, gates, ups } = views;
  const slice = (all: Float32Array, l: number) => {
    const size = all.length / L;
    return all.subarray(l * size, (l + 1) * size);
  };
  const kept = (all: Float32Array, l: number) => (keepProjectionInputs ? slice(all, l) : all);
  const layers = Array.from({ length: L }, (_, l): LayerActivations => ({
    input: slice(inputs, l),
    normed1: kept(views.normeds1, l),
    rstd1: slice(rstds1, l),
    query: slice(queries, l),
    key: past > 0 ? keys : slice(keys, l),
    value: past > 0 ? values : slice(values, l),
    attendedKeys: past > 0 ? slice(views.attendedKeys, l) : null,
    attendedValues: past > 0 ? slice(views.attendedValues, l) : null,
    logSumExps: slice(logSumExps, l),
    attention: kept(views.attentions, l),
    projected: views.projected,
    middle: slice(middles, l),
    normed2: keepProjectionInputs ? slice(views.normeds2, l) : views.normeds1,
    rstd2: slice(rstds2, l),
    gate: slice(gates, l),
    up: slice(ups, l),
    queryRstd: config.queryKeyNorm ? slice(views.queryRstds, l) : null,
    keyRstd: config.queryKeyNorm ? slice(views.keyRstds, l) : null,
    queryUnnormed: config.queryKeyNorm ? slice(views.queriesUnnormed, l) : null,
    keyUnnormed: config.queryKeyNorm ? slice(views.keysUnnormed, l) : null,
    attentionOutputUnnormed: post ? slice(views.attentionOutputsUnnormed, l) : null,
    attentionOutputRstd: post ? slice(views.attentionOutputRstds, l) : null,
    mlpOutputUnnormed: post ? slice(views.mlpOutputsUnnormed, l) : null,
    mlpOutputRstd: post ? slice(views.mlpOutputRstds, l) : null,
    hidden: kept(views.hiddens, l),
    // a layer's output is the next layer's input
    output: l + 1 < L ? slice(inputs, l + 1) : views.output,
  }));
  const { cosines, sines, output, dresidual, dmiddle, dnormed } = views;
  const { dattention, dquery, dkey, dvalue, dhidden, dgate, dup } = views;
  return {
    batch,
    time,
    layers,
    positions: new Int32Array(N),
    pastLengths: past > 0 ? new Int32Array(batch).fill(past) : null,
    cosines,
    sines,
    localCosines: local ? views.localCosines : null,
    localSines: local ? views.localSines : null,
    output,
    dresidual,
    dmiddle,
    dnormed,
    dattention,
    dquery,
    dkey,
    dvalue,
    dattendedKeys: past > 0 ? views.dattendedKeys : null,
    dattendedValues: past > 0 ? views.dattendedValues : null,
    dhidden,
    dgate,
    dup,
  };
}
