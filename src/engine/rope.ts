// RoPE inverse frequencies, including llama3 and linear scaling and GGUF per-frequency factors.
// Frequencies are computed once per model, angles once per forward pass; the rope kernel applies them.
import { rotaryDims, type ModelConfig } from './config.js';

/**
 * theta^(-2i/d) for i < d/2, d the rotated dimensions, adjusted by the config's scaling; with `local`, the
 * sliding-window layers' own frequencies (base localRopeTheta, no scaling), or null when they have none.
 */
export function inverseFrequencies(config: ModelConfig): Float32Array;
export function inverseFrequencies(config: ModelConfig, local: 'local'): Float32Array | null;
export function inverseFrequencies(config: ModelConfig, local?: 'local'): Float32Array | null {
  const rotary = rotaryDims(config);
  const half = rotary / 2;
  const frequencies = new Float64Array(half);
  if (local) {
    if (config.localRopeTheta === undefined) return null;
    for (let i = 0; i < half; i++) frequencies[i] = 1 / config.localRopeTheta ** ((2 * i) / rotary);
    return Float32Array.from(frequencies);
  }
  for (let i = 0; i < half; i++) frequencies[i] = 1 / config.ropeTheta ** ((2 * i) / rotary);
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

/**
 * Fills cosines and sines (n, rotary/2) of positions[i] * inverseFrequencies[f], computed in double
 * precision, each multiplied by `factor` (long-RoPE's attention factor; 1 otherwise).
 */
export function ropeAngles(
  cosines: Float32Array,
  sines: Float32Array,
  positions: Int32Array,
  inverseFrequencies: Float32Array,
  n: number,
  factor = 1,
): void {
  const half = inverseFrequencies.length;
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < half; f++) {
      const angle = positions[i] * inverseFrequencies[f];
      cosines[i * half + f] = Math.cos(angle) * factor;
      sines[i * half + f] = Math.sin(angle) * factor;
    }
  }
}
