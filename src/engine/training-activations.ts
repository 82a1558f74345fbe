// Activations kept for a backward pass: every layer's values in one allocation, with views per layer,
// plus gradient buffers reused across layers. Sized for (B, T) without a KV cache.
import type { ModelConfig } from './config.js';

/** One layer's kept activations (views into the shared allocation). */
export interface LayerActivations {
  input: Float32Array; // (B, T, C) the residual stream entering the layer
  normed1: Float32Array; // (B, T, C)
  rstd1: Float32Array; // (B, T)
  query: Float32Array; // (B, T, H*hd) rotated
  key: Float32Array; // (B, T, KVH*hd) rotated
  value: Float32Array; // (B, T, KVH*hd)
  probabilities: Float32Array; // (B, H, T, T)
  attention: Float32Array; // (B, T, H*hd)
  middle: Float32Array; // (B, T, C) residual after attention
  normed2: Float32Array; // (B, T, C)
  rstd2: Float32Array; // (B, T)
  gate: Float32Array; // (B, T, I)
  up: Float32Array; // (B, T, I)
  hidden: Float32Array; // (B, T, I)
}

/** Everything a forward-and-backward pass over (B, T) needs. */
export interface TrainingActivations {
  batch: number;
  time: number;
  layers: LayerActivations[];
  output: Float32Array; // (B, T, C) the residual stream after the last layer
  finalNormed: Float32Array; // (B, T, C)
  finalRstd: Float32Array; // (B, T)
  logits: Float32Array; // (B, T, V)
  losses: Float32Array; // (B, T)
  scratch: Float32Array; // (B, T, C) projections before residual adds
  cosines: Float32Array; // (B, T, hd/2)
  sines: Float32Array; // (B, T, hd/2)
  positions: Int32Array; // (B, T)
  // gradients, reused layer after layer
  dresidual: Float32Array; // (B, T, C)
  dmiddle: Float32Array; // (B, T, C)
  dnormed: Float32Array; // (B, T, C)
  dattention: Float32Array; // (B, T, H*hd)
  dquery: Float32Array; // (B, T, H*hd)
  dkey: Float32Array; // (B, T, KVH*hd)
  dvalue: Float32Array; // (B, T, KVH*hd)
  dhidden: Float32Array; // (B, T, I)
  dgate: Float32Array; // (B, T, I)
  dup: Float32Array; // (B, T, I)
  dlogits: Float32Array; // (B, T, V)
  dlosses: Float32Array; // (B, T)
}

/** Allocates training activations for a (B, T) batch in one block. */
export function allocateTrainingActivations(
  config: ModelConfig,
  batch: number,
  time: number,
): TrainingActivations {
  const N = batch * time;
  const {
    hiddenSize: C,
    intermediateSize: I,
    heads: H,
    kvHeads: KVH,
    headDim: hd,
    vocabularySize: V,
    layers: L,
  } = config;
  const perLayer = {
    input: N * C,
    normed1: N * C,
    rstd1: N,
    query: N * H * hd,
    key: N * KVH * hd,
    value: N * KVH * hd,
    probabilities: batch * H * time * time,
    attention: N * H * hd,
    middle: N * C,
    normed2: N * C,
    rstd2: N,
    gate: N * I,
    up: N * I,
    hidden: N * I,
  };
  const shared = {
    output: N * C,
    finalNormed: N * C,
    finalRstd: N,
    logits: N * V,
    losses: N,
    scratch: N * C,
    cosines: (N * hd) / 2,
    sines: (N * hd) / 2,
    dresidual: N * C,
    dmiddle: N * C,
    dnormed: N * C,
    dattention: N * H * hd,
    dquery: N * H * hd,
    dkey: N * KVH * hd,
    dvalue: N * KVH * hd,
    dhidden: N * I,
    dgate: N * I,
    dup: N * I,
    dlogits: N * V,
    dlosses: N,
  };
  const layerSize = Object.values(perLayer).reduce((sum, size) => sum + size, 0);
  const memory = new Float32Array(L * layerSize + Object.values(shared).reduce((sum, size) => sum + size, 0));
  let offset = 0;
  const take = (size: number) => memory.subarray(offset, (offset += size));
  const layers = Array.from(
    { length: L },
    () =>
      Object.fromEntries(
        Object.entries(perLayer).map(([name, size]) => [name, take(size)]),
      ) as unknown as LayerActivations,
  );
  const views = Object.fromEntries(
    Object.entries(shared).map(([name, size]) => [name, take(size)]),
  ) as unknown as Omit<TrainingActivations, 'batch' | 'time' | 'layers' | 'positions'>;
  return { batch, time, layers, ...views, positions: new Int32Array(N) };
}
