// Activations of an inference pass: one allocation holding a single layer's buffers, which every layer
// reuses (input, middle and output are one residual stream updated in place; no attention weights are
// kept). Training keeps every layer's values instead: see training-activations.ts.
import { rotaryDims, type ModelConfig } from './config.js';
import type { DecoderActivations, LayerActivations } from './decoder.js';

/** Inference activations for a (B, T) pass: every entry of `layers` is the same set of views. */
export interface Activations extends DecoderActivations {
  residual: Float32Array; // (B, T, C) the residual stream (each layer's input, middle and output)
}

/** Allocates inference activations for batch x time tokens in one block. */
export function allocateActivations(config: ModelConfig, batch: number, time: number): Activations {
  const N = batch * time;
  const { hiddenSize: C, intermediateSize: I, heads: H, kvHeads: KVH, headDim: hd } = config;
  const angles = (N * rotaryDims(config)) / 2;
  const local = config.localRopeTheta !== undefined;
  const views = carve({
    residual: N * C,
    normed: N * C,
    rstd: N,
    query: N * H * hd,
    key: N * KVH * hd,
    value: N * KVH * hd,
    attention: N * H * hd,
    projected: N * C,
    gate: N * I,
    up: N * I,
    hidden: N * I,
    cosines: angles,
    sines: angles,
    localCosines: local ? angles : 0,
    localSines: local ? angles : 0,
    queryRstd: config.queryKeyNorm ? N * H : 0,
    keyRstd: config.queryKeyNorm ? N * KVH : 0,
  });
  const { residual, normed, rstd, cosines, sines, localCosines, localSines, queryRstd, keyRstd, ...rest } =
    views;
  const layer: LayerActivations = {
    ...rest,
    input: residual,
    middle: residual,
    output: residual,
    normed1: normed,
    normed2: normed,
    rstd1: rstd,
    rstd2: rstd,
    logSumExps: null,
    queryRstd: config.queryKeyNorm ? queryRstd : null,
    keyRstd: config.queryKeyNorm ? keyRstd : null,
    queryUnnormed: null,
    keyUnnormed: null,
    attendedKeys: null,
    attendedValues: null,
    // sandwich norms are applied in place; inference keeps neither their inputs nor 1/rms
    attentionOutputUnnormed: null,
    attentionOutputRstd: null,
    mlpOutputUnnormed: null,
    mlpOutputRstd: null,
  };
  return {
    batch,
    time,
    residual,
    layers: Array.from({ length: config.layers }, () => layer),
    positions: new Int32Array(N),
    cosines,
    sines,
    localCosines: local ? localCosines : null,
    localSines: local ? localSines : null,
  };
}

/** Named views into one new Float32Array, in the order given, each of its size. */
export function carve<Name extends string>(sizes: Record<Name, number>): Record<Name, Float32Array> {
  const entries = Object.entries(sizes) as [Name, number][];
  const memory = new Float32Array(entries.reduce((sum, [, size]) => sum + size, 0));
  let offset = 0;
  return Object.fromEntries(
    entries.map(([name, size]) => [name, memory.subarray(offset, (offset += size))]),
  ) as Record<Name, Float32Array>;
}
