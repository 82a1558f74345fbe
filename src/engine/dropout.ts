// Dropout masks drawn from keys (the op pair itself is the kernels': dropoutForward / dropoutBackward):
// whether position i of a mask is kept is a hash of its key and i, so the backward pass (and a resumed
// run, and a reference written in another language) draws exactly the forward's mask from the same key.
// LoRA's dropout keys each step's masks by the run's seed and the step, then by layer and projection.
import { hash32 } from './kernels/js-dropout.js';

/** One mask: the probability of zeroing a value and the 32-bit key its positions are drawn from. */
export interface DropoutMask {
  probability: number;
  key: number;
}

/** The key of a mask drawn from `parts` (a run's seed, its step, a layer, a projection …), in order. */
export function dropoutKey(...parts: number[]): number {
  let key = 0x9e3779b9;
  for (const part of parts) key = hash32((key ^ hash32(part)) + 0x7f4a7c15);
  return key;
}

/** Whether position `index` of `mask` is kept (as the kernels decide it). */
export function dropoutKeeps(mask: DropoutMask, index: number): boolean {
  return hash32(mask.key + index) >= mask.probability * 2 ** 32;
}

export { hash32 };
