// The reference kernels in plain TypeScript: readable loops that define what each op means.
// They are correct but slow (no SIMD, no threads); native.ts is the fast path and is tested against these.
import { adamUpdate } from './js-adam.js';
import { dropoutBackward, dropoutForward } from './js-dropout.js';
import { lowRankRowsForward } from './js-low-rank.js';
import {
  attentionBackward,
  crossEntropyBackward,
  matmulBackward,
  rmsnormBackward,
  rmsnormWeightBackward,
  ropeBackward,
  swigluBackward,
  gegluBackward,
  softcapBackward,
} from './js-backward.js';
import {
  dequantize,
  quantizedEmbeddingForward,
  quantizedMatmulBackward,
  quantizedMatmulForward,
} from './js-quantized.js';
import type { Buffer, Kernels } from './types.js';

function gemm(
  transposeA: boolean,
  transposeB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Buffer,
  lda: number,
  b: Buffer,
  ldb: number,
  beta: number,
  c: Buffer,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const left = transposeA ? a[p * lda + i] : a[i * lda + p];
        const right = transposeB ? b[j * ldb + p] : b[p * ldb + j];
        sum += left * right;
      }
      c[i * ldc + j] = alpha * sum + (beta === 0 ? 0 : beta * c[i * ldc + j]);
    }
  }
}

function matmulForward(
  out: Buffer,
  inp: Buffer,
  weight: Buffer,
  bias: Buffer | null,
  n: number,
  inFeatures: number,
  outFeatures: number,
): void {
  for (let row = 0; row < n; row++) {
    const x = row * inFeatures;
    for (let o = 0; o < outFeatures; o++) {
      const w = o * inFeatures;
      let sum = bias ? bias[o] : 0;
      for (let i = 0; i < inFeatures; i++) sum += inp[x + i] * weight[w + i];
      out[row * outFeatures + o] = sum;
    }
  }
}

function embeddingForward(out: Buffer, ids: Int32Array, table: Buffer, n: number, channels: number): void {
  for (let i = 0; i < n; i++)
    out.set(table.subarray(ids[i] * channels, (ids[i] + 1) * channels), i * channels);
}

function rmsnormForward(
  out: Buffer,
  rstd: Buffer | null,
  inp: Buffer,
  weight: Buffer,
  n: number,
  channels: number,
  eps: number,
): void {
  for (let i = 0; i < n; i++) {
    const base = i * channels;
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += inp[base + c] * inp[base + c];
    const scale = Math.fround(1 / Math.sqrt(sum / channels + eps));
    for (let c = 0; c < channels; c++) out[base + c] = inp[base + c] * scale * weight[c];
    if (rstd) rstd[i] = scale;
  }
}

function ropeForward(
  out: Buffer,
  inp: Buffer,
  cosines: Buffer,
  sines: Buffer,
  n: number,
  heads: number,
  headDim: number,
  rotaryDims: number,
  interleaved: boolean,
): void {
  const half = rotaryDims / 2;
  for (let i = 0; i < n; i++) {
    for (let h = 0; h < heads; h++) {
      const base = (i * heads + h) * headDim;
      if (out !== inp) for (let d = rotaryDims; d < headDim; d++) out[base + d] = inp[base + d];
      for (let f = 0; f < half; f++) {
        const cosine = cosines[i * half + f];
        const sine = sines[i * half + f];
        const first = base + (interleaved ? 2 * f : f);
        const second = base + (interleaved ? 2 * f + 1 : f + half);
        const x0 = inp[first];
        const x1 = inp[second];
        out[first] = x0 * cosine - x1 * sine;
        out[second] = x0 * sine + x1 * cosine;
      }
    }
  }
}

function attentionForward(
  out: Buffer,
  logSumExps: Buffer | null,
  query: Buffer,
  keys: Buffer,
  values: Buffer,
  pastLengths: Int32Array | null,
  keyMask: Uint8Array | null,
  batch: number,
  time: number,
  slots: number,
  heads: number,
  kvHeads: number,
  headDim: number,
  window: number,
  scale: number,
  softcap: number,
): void {
  const queryStride = heads * headDim;
  const kvStride = kvHeads * headDim;
  const group = heads / kvHeads;
  const row = new Float64Array(slots);
  for (let b = 0; b < batch; b++) {
    const past = pastLengths ? pastLengths[b] : 0;
    for (let h = 0; h < heads; h++) {
      const kvHead = Math.floor(h / group);
      for (let t = 0; t < time; t++) {
        const last = Math.min(past + t, slots - 1);
        const first = window > 0 ? Math.max(0, last - window + 1) : 0;
        const q = (b * time + t) * queryStride + h * headDim;
        let maximum = -Infinity;
        for (let j = first; j <= last; j++) {
          if (keyMask && !keyMask[b * slots + j]) {
            row[j] = -Infinity;
            continue;
          }
          const k = (b * slots + j) * kvStride + kvHead * headDim;
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += query[q + d] * keys[k + d];
          row[j] = softcap > 0 ? softcap * Math.tanh((dot * scale) / softcap) : dot * scale;
          if (row[j] > maximum) maximum = row[j];
        }
        let sum = 0;
        for (let j = first; j <= last; j++) {
          row[j] = row[j] === -Infinity ? 0 : Math.exp(row[j] - maximum);
          sum += row[j];
        }
        if (logSumExps)
          logSumExps[(b * heads + h) * time + t] = sum > 0 ? maximum + Math.log(sum) : -Infinity;
        const o = (b * time + t) * queryStride + h * headDim;
        for (let d = 0; d < headDim; d++) out[o + d] = 0;
        for (let j = first; j <= last; j++) {
          const p = sum > 0 ? row[j] / sum : 0;
          const v = (b * slots + j) * kvStride + kvHead * headDim;
          for (let d = 0; d < headDim; d++) out[o + d] += p * values[v + d];
        }
      }
    }
  }
}

function swigluForward(out: Buffer, gate: Buffer, up: Buffer, n: number): void {
  for (let i = 0; i < n; i++) out[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
}

/** GELU's tanh approximation, as PyTorch's gelu(approximate="tanh"). */
function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

function gegluForward(out: Buffer, gate: Buffer, up: Buffer, n: number): void {
  for (let i = 0; i < n; i++) out[i] = geluTanh(gate[i]) * up[i];
}

function softcapForward(out: Buffer, inp: Buffer, cap: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = cap * Math.tanh(inp[i] / cap);
}

function addForward(out: Buffer, a: Buffer, b: Buffer, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}

function logSumExp(x: Buffer, start: number, length: number): number {
  let maximum = -Infinity;
  for (let j = 0; j < length; j++) maximum = Math.max(maximum, x[start + j]);
  let sum = 0;
  for (let j = 0; j < length; j++) sum += Math.exp(x[start + j] - maximum);
  return maximum + Math.log(sum);
}

function softmaxForward(out: Buffer, inp: Buffer, n: number, vocabulary: number): void {
  for (let i = 0; i < n; i++) {
    const normalizer = logSumExp(inp, i * vocabulary, vocabulary);
    for (let j = 0; j < vocabulary; j++)
      out[i * vocabulary + j] = Math.exp(inp[i * vocabulary + j] - normalizer);
  }
}

function logSoftmaxForward(out: Buffer, inp: Buffer, n: number, vocabulary: number): void {
  for (let i = 0; i < n; i++) {
    const normalizer = logSumExp(inp, i * vocabulary, vocabulary);
    for (let j = 0; j < vocabulary; j++) out[i * vocabulary + j] = inp[i * vocabulary + j] - normalizer;
  }
}

function crossEntropyForward(
  losses: Buffer,
  logits: Buffer,
  targets: Int32Array,
  n: number,
  vocabulary: number,
): void {
  for (let i = 0; i < n; i++) {
    losses[i] =
      targets[i] < 0
        ? 0
        : logSumExp(logits, i * vocabulary, vocabulary) - logits[i * vocabulary + targets[i]];
  }
}

/** The plain-TypeScript kernels: the reference every other implementation is checked against. */
export const jsKernels: Kernels = {
  name: 'js',
  gemm,
  matmulForward,
  quantizedMatmulForward: quantizedMatmulForward(matmulForward),
  quantizedEmbeddingForward,
  dequantize,
  embeddingForward,
  rmsnormForward,
  ropeForward,
  attentionForward,
  swigluForward,
  gegluForward,
  softcapForward,
  dropoutForward,
  lowRankRowsForward,
  addForward,
  softmaxForward,
  logSoftmaxForward,
  crossEntropyForward,
  matmulBackward,
  quantizedMatmulBackward,
  rmsnormBackward,
  rmsnormWeightBackward,
  ropeBackward,
  attentionBackward,
  swigluBackward,
  gegluBackward,
  softcapBackward,
  dropoutBackward,
  crossEntropyBackward,
  adamUpdate,
};
