// RoPE inverse frequencies, including llama3 and linear scaling and GGUF per-frequency factors.
// Frequencies are computed once per model, angles once per forward pass; the rope kernel applies them.
import type { ModelConfig } from './config.js';

/** theta^(-2i/hd) for i < hd/2, adjusted by the config's scaling. */
export function inverseFrequencies(config: ModelConfig): Float32Array {
  const half = config.headDim / 2;
  const frequencies = new Float64Array(half);
  for (let i = 0; i < half; i++) frequencies[i] = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
  const scaling = config.ropeScaling;
  if (scaling?.type === 'linear') {
    for (let i = 0; i < half; i++) frequencies[i] /= scaling.factor;
  } else if (scaling?.type === 'llama3') {
    // As transformers' _compute_llama3_parameters: long wavelengths are divided by the factor,
    // short ones kept, and the band between interpolated smoothly.
    const {
      factor,
      lowFrequencyFactor: low,
      highFrequencyFactor: high,
      originalContextLength: original,
    } = scaling;
    const lowWavelength = original / low;
    const highWavelength = original / high;
    for (let i = 0; i < half; i++) {
      const wavelength = (2 * Math.PI) / frequencies[i];
      if (wavelength > lowWavelength) frequencies[i] /= factor;
      else if (wavelength >= highWavelength) {
        const smooth = (original / wavelength - low) / (high - low);
        frequencies[i] = (1 - smooth) * (frequencies[i] / factor) + smooth * frequencies[i];
      }
    }
  }
  if (config.ropeFrequencyFactors) {
    for (let i = 0; i < half; i++) frequencies[i] /= config.ropeFrequencyFactors[i];
  }
  return Float32Array.from(frequencies);
}

/** Fills cosines and sines (n, hd/2) of positions[i] * inverseFrequencies[f], computed in double precision. */
export function ropeAngles(
  cosines: Float32Array,
  sines: Float32Array,
  positions: Int32Array,
  inverseFrequencies: Float32Array,
  n: number,
): void {
  const half = inverseFrequencies.length;
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < half; f++) {
      const angle = positions[i] * inverseFrequencies[f];
      cosines[i * half + f] = Math.cos(angle);
      sines[i * half + f] = Math.sin(angle);
    }
  }
}
