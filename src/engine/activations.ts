// The forward pass's activations: one Float32Array, with named views into it. Inference keeps a
// single layer's worth (reused across layers, residual updated in place); keeping every layer's
// values for a backward pass is a separate mode added with the backward ops.
import type { ModelConfig } from './config.js';

/** Named views into one allocation for a (B, T) forward pass. */
export interface Activations {
  batch: number;
  time: number;
  residual: Float32Array; // (B, T, C) the residual stream
  normed: Float32Array; // (B, T, C) RMSNorm output feeding attention or MLP
  rstd: Float32Array; // (B, T) 1/rms of the last norm
  query: Float32Array; // (B, T, H*hd) rotated in place
  key: Float32Array; // (B, T, KVH*hd) rotated in place
  value: Float32Array; // (B, T, KVH*hd)
  attention: Float32Array; // (B, T, H*hd) attention output before its projection
  projected: Float32Array; // (B, T, C) attention or MLP output before the residual add
  gate: Float32Array; // (B, T, I)
  up: Float32Array; // (B, T, I)
  hidden: Float32Array; // (B, T, I) silu(gate) * up
  cosines: Float32Array; // (B, T, hd/2) RoPE rotation of each position
  sines: Float32Array; // (B, T, hd/2)
  positions: Int32Array; // (B, T) absolute positions
}

/** Allocates activations for batch x time tokens. */
export function allocateActivations(config: ModelConfig, batch: number, time: number): Activations {
  const N = batch * time;
  const C = config.hiddenSize;
  const queryWidth = config.heads * config.headDim;
  const kvWidth = config.kvHeads * config.headDim;
  const I = config.intermediateSize;
  const sizes = {
    residual: N * C,
    normed: N * C,
    rstd: N,
    query: N * queryWidth,
    key: N * kvWidth,
    value: N * kvWidth,
    attention: N * queryWidth,
    projected: N * C,
    gate: N * I,
    up: N * I,
    hidden: N * I,
    cosines: (N * config.headDim) / 2,
    sines: (N * config.headDim) / 2,
  };
  const total = Object.values(sizes).reduce((sum, size) => sum + size, 0);
  const memory = new Float32Array(total);
  const views: Record<string, Float32Array> = {};
  let offset = 0;
  for (const [name, size] of Object.entries(sizes)) {
    views[name] = memory.subarray(offset, offset + size);
    offset += size;
  }
  return {
    batch,
    time,
    ...(views as Omit<Activations, 'batch' | 'time' | 'positions'>),
    positions: new Int32Array(N),
  };
}
