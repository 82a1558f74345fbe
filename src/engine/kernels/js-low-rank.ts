// Many low-rank adapters applied in one call, each row with its own (punica's gathered matrix-vector
// products, S-LoRA's batched LoRA): the readable reference the native kernel is checked against. It
// is the serving path's (a decode step's rows, one position each); training multiplies a run of rows
// sharing an adapter with gemm instead, so it has no backward.
import type { Buffer, LowRankProduct } from './types.js';

/** out (n, outFeatures) += scale · B (A · inp row) with row i's pair pairs[indices[i]]; index -1: none. */
export function lowRankRowsForward(
  out: Buffer,
  inp: Buffer,
  pairs: readonly LowRankProduct[],
  indices: Int32Array,
  n: number,
  inFeatures: number,
  outFeatures: number,
): void {
  for (let row = 0; row < n; row++) {
    const pair = indices[row] < 0 ? undefined : pairs[indices[row]];
    if (!pair) continue;
    const { a, b, rank, scale } = pair;
    const x = row * inFeatures;
    const reduced = new Float32Array(rank); // (rank) A x
    for (let k = 0; k < rank; k++) {
      let sum = 0;
      for (let i = 0; i < inFeatures; i++) sum += a[k * inFeatures + i] * inp[x + i];
      reduced[k] = sum;
    }
    const y = row * outFeatures;
    for (let j = 0; j < outFeatures; j++) {
      let sum = 0;
      for (let k = 0; k < rank; k++) sum += b[j * rank + k] * reduced[k];
      out[y + j] += scale * sum;
    }
  }
}
