// The backward ops in plain TypeScript: the reference for the native versions, each the mirror of its
// forward op in js.ts. Frozen weights: only input gradients. Gradients accumulate (+=).
import type { Buffer } from './types.js';

export function matmulBackward(
  dinp: Buffer,
  dout: Buffer,
  weight: Buffer,
  n: number,
  inFeatures: number,
  outFeatures: number,
): void {
  for (let row = 0; row < n; row++) {
    for (let o = 0; o < outFeatures; o++) {
      const d = dout[row * outFeatures + o];
      if (d === 0) continue;
      for (let i = 0; i < inFeatures; i++) dinp[row * inFeatures + i] += d * weight[o * inFeatures + i];
    }
  }
}

/** dweight (channels) += sum over rows of dout * inp * rstd: the weight's gradient of rmsnormForward. */
export function rmsnormWeightBackward(
  dweight: Buffer,
  dout: Buffer,
  inp: Buffer,
  rstd: Buffer,
  n: number,
  channels: number,
): void {
  for (let i = 0; i < n; i++) {
    const base = i * channels;
    const r = rstd[i];
    for (let c = 0; c < channels; c++) dweight[c] += dout[base + c] * inp[base + c] * r;
  }
}

export function rmsnormBackward(
  dinp: Buffer,
  dout: Buffer,
  inp: Buffer,
  weight: Buffer,
  rstd: Buffer,
  n: number,
  channels: number,
): void {
  for (let i = 0; i < n; i++) {
    const base = i * channels;
    const r = rstd[i];
    // out = x * r * w with r = (mean(x^2) + eps)^(-1/2): dx = r * w * dout - x * r^3 / C * sum(w * dout * x)
    let dot = 0;
    for (let c = 0; c < channels; c++) dot += weight[c] * dout[base + c] * inp[base + c];
    const scale = (r * r * r * dot) / channels;
    for (let c = 0; c < channels; c++)
      dinp[base + c] += r * weight[c] * dout[base + c] - scale * inp[base + c];
  }
}

export function ropeBackward(
  dinp: Buffer,
  dout: Buffer,
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
      if (dinp !== dout) for (let d = rotaryDims; d < headDim; d++) dinp[base + d] = dout[base + d];
      for (let f = 0; f < half; f++) {
        const cosine = cosines[i * half + f];
        const sine = sines[i * half + f];
        const first = base + (interleaved ? 2 * f : f);
        const second = base + (interleaved ? 2 * f + 1 : f + half);
        const d0 = dout[first];
        const d1 = dout[second];
        dinp[first] = d0 * cosine + d1 * sine;
        dinp[second] = -d0 * sine + d1 * cosine;
      }
    }
  }
}

export function attentionBackward(
  dquery: Buffer,
  dkeys: Buffer,
  dvalues: Buffer,
  dout: Buffer,
  logSumExps: Buffer,
  query: Buffer,
  keys: Buffer,
  values: Buffer,
  pastLengths: Int32Array | null,
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
  const probabilities = new Float64Array(slots);
  const dprobabilities = new Float64Array(slots);
  const capFactors = new Float64Array(slots);
  for (let b = 0; b < batch; b++) {
    const past = pastLengths ? pastLengths[b] : 0;
    for (let h = 0; h < heads; h++) {
      const kvHead = Math.floor(h / group);
      for (let t = 0; t < time; t++) {
        const normalizer = logSumExps[(b * heads + h) * time + t];
        if (normalizer === -Infinity) continue; // the query saw no key
        const last = Math.min(past + t, slots - 1); // the query's own position
        const first = window > 0 ? Math.max(0, last - window + 1) : 0;
        const o = (b * time + t) * queryStride + h * headDim;
        // the forward's weights again: P[j] = exp(score - log normalizer), the score soft-capped
        for (let j = first; j <= last; j++) {
          const k = (b * slots + j) * kvStride + kvHead * headDim;
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += query[o + d] * keys[k + d];
          const capped = softcap > 0 ? Math.tanh((dot * scale) / softcap) : 0;
          capFactors[j] = softcap > 0 ? 1 - capped * capped : 1;
          probabilities[j] = Math.exp((softcap > 0 ? softcap * capped : dot * scale) - normalizer);
        }
        // dP[j] = dout . v_j ; dV_j += P[j] * dout
        let weighted = 0;
        for (let j = first; j <= last; j++) {
          const v = (b * slots + j) * kvStride + kvHead * headDim;
          let dot = 0;
          for (let d = 0; d < headDim; d++) {
            dot += dout[o + d] * values[v + d];
            dvalues[v + d] += probabilities[j] * dout[o + d];
          }
          dprobabilities[j] = dot;
          weighted += dot * probabilities[j];
        }
        // softmax backward: dscore[j] = P[j] * (dP[j] - sum_k P[k] dP[k]); scores = q . k * scale, and
        // through the soft cap (cap * tanh(score / cap)) a factor 1 - tanh^2
        for (let j = first; j <= last; j++) {
          const dscore = probabilities[j] * (dprobabilities[j] - weighted) * scale * capFactors[j];
          if (dscore === 0) continue;
          const k = (b * slots + j) * kvStride + kvHead * headDim;
          for (let d = 0; d < headDim; d++) {
            dquery[o + d] += dscore * keys[k + d];
            dkeys[k + d] += dscore * query[o + d];
          }
        }
      }
    }
  }
}

export function swigluBackward(
  dgate: Buffer,
  dup: Buffer,
  dout: Buffer,
  gate: Buffer,
  up: Buffer,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const sigmoid = 1 / (1 + Math.exp(-gate[i]));
    const silu = gate[i] * sigmoid;
    dgate[i] += dout[i] * up[i] * sigmoid * (1 + gate[i] * (1 - sigmoid));
    dup[i] += dout[i] * silu;
  }
}

export function gegluBackward(
  dgate: Buffer,
  dup: Buffer,
  dout: Buffer,
  gate: Buffer,
  up: Buffer,
  n: number,
): void {
  const root = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const t = Math.tanh(root * (g + 0.044715 * g * g * g));
    const slope = 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * root * (1 + 3 * 0.044715 * g * g);
    dgate[i] += dout[i] * up[i] * slope;
    dup[i] += dout[i] * 0.5 * g * (1 + t);
  }
}

export function softcapBackward(dinp: Buffer, dout: Buffer, out: Buffer, cap: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const t = out[i] / cap;
    dinp[i] = dout[i] * (1 - t * t);
  }
}

export function crossEntropyBackward(
  dlogits: Buffer,
  dlosses: Buffer,
  logits: Buffer,
  targets: Int32Array,
  n: number,
  vocabulary: number,
): void {
  for (let i = 0; i < n; i++) {
    if (targets[i] < 0) continue;
    const base = i * vocabulary;
    let maximum = -Infinity;
    for (let j = 0; j < vocabulary; j++) maximum = Math.max(maximum, logits[base + j]);
    let sum = 0;
    for (let j = 0; j < vocabulary; j++) sum += Math.exp(logits[base + j] - maximum);
    for (let j = 0; j < vocabulary; j++) {
      const probability = Math.exp(logits[base + j] - maximum) / sum;
      dlogits[base + j] += dlosses[i] * (probability - (j === targets[i] ? 1 : 0));
    }
  }
}
