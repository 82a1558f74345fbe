// Adam's update in plain TypeScript (the reference its native twin is checked against): one pass over a
// flat parameter vector, moments in float64, and the first value that stopped being finite found on the
// way (a diverged run is caught without another pass over every weight).
import type { AdamConstants, Buffer } from './types.js';

/**
 * One Adam step over n values: the moments, then the value (AdamW: shrunk by `decay` apart from the
 * moments; Adam with `coupled`: the decay's gradient joins the value's). Where `decays` is 0 there is no
 * decay. Returns the first value that is not finite after the step, or -1.
 */
export function adamUpdate(
  parameters: Buffer,
  gradient: Buffer,
  m: Float64Array,
  v: Float64Array,
  decays: Uint8Array | null,
  constants: AdamConstants,
  n: number,
): number {
  const { beta1, beta2, stepSize, correction2, eps, decay, coupled } = constants;
  let bad = -1;
  for (let i = 0; i < n; i++) {
    const decayed = decay !== 0 && (decays === null || decays[i] !== 0);
    const g = coupled && decayed ? gradient[i] + decay * parameters[i] : gradient[i];
    const first = (m[i] = beta1 * m[i] + (1 - beta1) * g);
    const second = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
    if (!coupled && decayed) parameters[i] -= decay * parameters[i];
    parameters[i] -= (stepSize * first) / (Math.sqrt(second) / correction2 + eps);
    const value = parameters[i];
    if (bad < 0 && value - value !== 0) bad = i; // NaN and ±Infinity give NaN
  }
  return bad;
}
