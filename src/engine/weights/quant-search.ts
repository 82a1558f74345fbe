// The scale searches of ggml's reference K-quantizers (make_qkx2_quants, make_qx_quants, make_q3_quants):
// for a group of values, the scale (and minimum) whose rounded codes reconstruct them with the least
// weighted error. Arithmetic is float32 step by step (Math.fround), in ggml's order, so the codes come out
// byte for byte as ggml writes them (checked against libggml in quant.test.ts). Importance matrices are not
// supported: these are the searches ggml uses without one.

/** float32 rounding of a number: C's `float` after each operation. */
export const f32 = Math.fround;

/** ggml's nearest_int: round to nearest, ties to even, through float32. */
export function nearestInt(value: number): number {
  return f32(f32(value) + 12582912) - 12582912;
}

/** Values smaller than this in magnitude make a group all zeros (ggml's GROUP_MAX_EPS). */
export const groupMaxEpsilon = f32(1e-15);

const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));

/** Unsigned codes 0..maxCode with a scale and a non-positive minimum, refined over `steps` trial scales. */
export function searchScaleAndMinimum(
  values: Float32Array,
  weights: Float32Array,
  codes: Uint8Array,
  maxCode: number,
  options: { rangeStart: number; rangeStep: number; steps: number; absoluteError: boolean },
): { scale: number; minimum: number } {
  const n = values.length;
  const scratch = new Uint8Array(n);
  let min = values[0];
  let max = values[0];
  let sumWeights = weights[0];
  let sumX = f32(sumWeights * values[0]);
  for (let i = 1; i < n; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
    sumWeights = f32(sumWeights + weights[i]);
    sumX = f32(sumX + f32(weights[i] * values[i]));
  }
  if (min > 0) min = 0;
  if (max === min) {
    codes.fill(0);
    return { scale: 0, minimum: -min };
  }
  const error = (difference: number) =>
    options.absoluteError ? Math.abs(difference) : f32(difference * difference);
  let inverseScale = f32(maxCode / f32(max - min));
  let scale = f32(1 / inverseScale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    codes[i] = clamp(nearestInt(f32(inverseScale * f32(values[i] - min))), 0, maxCode);
    const difference = f32(f32(f32(scale * codes[i]) + min) - values[i]);
    bestError = f32(bestError + f32(weights[i] * error(difference)));
  }
  if (options.steps < 1) return { scale, minimum: -min };
  for (let step = 0; step <= options.steps; step++) {
    inverseScale = f32(
      f32(f32(options.rangeStart + f32(options.rangeStep * step)) + maxCode) / f32(max - min),
    );
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const code = clamp(nearestInt(f32(inverseScale * f32(values[i] - min))), 0, maxCode);
      scratch[i] = code;
      const w = weights[i];
      sumL = f32(sumL + f32(w * code));
      sumL2 = f32(sumL2 + f32(f32(w * code) * code));
      sumXL = f32(sumXL + f32(f32(w * code) * values[i]));
    }
    const determinant = f32(f32(sumWeights * sumL2) - f32(sumL * sumL));
    if (determinant > 0) {
      let thisScale = f32(f32(f32(sumWeights * sumXL) - f32(sumX * sumL)) / determinant);
      let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / determinant);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f32(sumXL / sumL2);
      }
      let currentError = 0;
      for (let i = 0; i < n; i++) {
        const difference = f32(f32(f32(thisScale * scratch[i]) + thisMin) - values[i]);
        currentError = f32(currentError + f32(weights[i] * error(difference)));
      }
      if (currentError < bestError) {
        codes.set(scratch);
        bestError = currentError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return { scale, minimum: -min };
}

/** The largest magnitude and the signed value that has it. */
function extreme(values: Float32Array): { max: number; absoluteMax: number } {
  let max = 0;
  let absoluteMax = 0;
  for (const value of values) {
    if (Math.abs(value) > absoluteMax) {
      absoluteMax = Math.abs(value);
      max = value;
    }
  }
  return { max, absoluteMax };
}

/** Symmetric codes 0..2*maxCode-1 (offset by maxCode), weighted by x², refined over 18 trial scales. */
export function searchSymmetricScale(values: Float32Array, codes: Uint8Array, maxCode: number): number {
  const { max, absoluteMax } = extreme(values);
  if (absoluteMax < groupMaxEpsilon) {
    codes.fill(0);
    return 0;
  }
  const code = (inverseScale: number, value: number) =>
    clamp(nearestInt(f32(inverseScale * value)), -maxCode, maxCode - 1);
  const sums = (inverseScale: number) => {
    let sumLX = 0;
    let sumL2 = 0;
    for (const value of values) {
      const l = code(inverseScale, value);
      const w = f32(value * value);
      sumLX = f32(sumLX + f32(f32(w * value) * l));
      sumL2 = f32(sumL2 + f32(f32(w * l) * l));
    }
    return { sumLX, sumL2 };
  };
  let inverseScale = f32(-maxCode / max);
  values.forEach((value, i) => (codes[i] = code(inverseScale, value) + maxCode));
  const first = sums(inverseScale);
  let scale = first.sumL2 ? f32(first.sumLX / first.sumL2) : 0;
  let best = f32(scale * first.sumLX);
  for (let step = -9; step <= 9; step++) {
    if (step === 0) continue;
    inverseScale = f32(-f32(maxCode + f32(f32(0.1) * step)) / max);
    const { sumLX, sumL2 } = sums(inverseScale);
    if (sumL2 > 0 && f32(sumLX * sumLX) > f32(best * sumL2)) {
      values.forEach((value, i) => (codes[i] = code(inverseScale, value) + maxCode));
      scale = f32(sumLX / sumL2);
      best = f32(scale * sumLX);
    }
  }
  return scale;
}

/** Q3_K's search: symmetric codes in -maxCode..maxCode-1, improved one value at a time (up to 5 passes). */
export function searchThreeBitScale(values: Float32Array, codes: Uint8Array, maxCode: number): number {
  const { max, absoluteMax } = extreme(values);
  if (absoluteMax < groupMaxEpsilon) {
    codes.fill(0);
    return 0;
  }
  const inverseScale = f32(-maxCode / max);
  const signed = new Int8Array(values.length);
  let sumLX = 0;
  let sumL2 = 0;
  values.forEach((value, i) => {
    const l = clamp(nearestInt(f32(inverseScale * value)), -maxCode, maxCode - 1);
    signed[i] = l;
    const w = f32(value * value);
    sumLX = f32(sumLX + f32(f32(w * value) * l));
    sumL2 = f32(sumL2 + f32(f32(w * l) * l));
  });
  for (let pass = 0; pass < 5; pass++) {
    let changed = 0;
    values.forEach((value, i) => {
      const w = f32(value * value);
      let partialLX = f32(sumLX - f32(f32(w * value) * signed[i]));
      if (partialLX <= 0) return;
      let partialL2 = f32(sumL2 - f32(f32(w * signed[i]) * signed[i]));
      const next = clamp(nearestInt(f32(f32(value * partialL2) / partialLX)), -maxCode, maxCode - 1);
      if (next === signed[i]) return;
      partialLX = f32(partialLX + f32(f32(w * value) * next));
      partialL2 = f32(partialL2 + f32(f32(w * next) * next));
      if (partialL2 > 0 && f32(f32(partialLX * partialLX) * sumL2) > f32(f32(sumLX * sumLX) * partialL2)) {
        signed[i] = next;
        sumLX = partialLX;
        sumL2 = partialL2;
        changed++;
      }
    });
    if (!changed) break;
  }
  signed.forEach((l, i) => (codes[i] = l + maxCode));
  return f32(sumLX / sumL2);
}
