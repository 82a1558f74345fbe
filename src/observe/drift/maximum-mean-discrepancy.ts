// Maximum mean discrepancy between two sets of vectors (embeddings): the unbiased MMD² with a Gaussian
// kernel whose bandwidth is the median pairwise distance, and a permutation p-value. The kernel matrix
// is computed once (O((n+m)²·d)) and every permutation reuses it in O(min(n,m)²). No linear-time or
// multi-kernel variants, and no GPU: callers subsample large sets (Evidently does the same).
import { ValidationError } from '../../errors/index.js';

/** One vector: an embedding as Float32Array, Float64Array or number[]. */
export type Vector = ArrayLike<number>;

/** Options of the MMD test; `rng` makes the permutations reproducible. */
export interface MaximumMeanDiscrepancyOptions {
  /** Uniform numbers in [0, 1), e.g. seededRandom(seed) from the engine. */
  rng: () => number;
  /** Random relabellings for the p-value (default 200). */
  permutations?: number;
  /** Kernel bandwidth σ in k(x, y) = exp(-|x - y|² / 2σ²); default: the median pairwise distance. */
  bandwidth?: number;
}

/** MMD² (unbiased), its permutation p-value, and the bandwidth and permutation count used. */
export interface MaximumMeanDiscrepancyResult {
  statistic: number;
  pValue: number;
  bandwidth: number;
  permutations: number;
}

/** Above this many vectors in total the kernel matrix alone would pass ~100 MB. */
const maximumTotalVectors = 5000;

/** Unbiased MMD² with a median-heuristic Gaussian kernel, and p = (1 + #{permuted ≥ observed}) / (1 + permutations). */
export function maximumMeanDiscrepancyTest(
  reference: readonly Vector[],
  current: readonly Vector[],
  options: MaximumMeanDiscrepancyOptions,
): MaximumMeanDiscrepancyResult {
  const permutations = options.permutations ?? 200;
  if (typeof options.rng !== 'function' || !Number.isInteger(permutations) || permutations < 1) {
    throw new ValidationError(
      'the MMD test needs an rng function and a positive whole number of permutations',
      {
        code: 'DRIFT_INVALID_OPTION',
        hint: 'Pass { rng: seededRandom(seed), permutations: 200 }.',
      },
    );
  }
  const points = poolVectors(reference, current);
  const total = reference.length + current.length;
  const squaredDistances = pairwiseSquaredDistances(points, total);
  // the bandwidth comes from the pooled sample, so it is the same under every relabelling and the
  // permutation test stays exact (a reference-only bandwidth would change with each permutation)
  // more than half the pairs identical (duplicated vectors) would give σ = 0: use the positive distances
  const bandwidth =
    options.bandwidth ??
    (medianDistance(squaredDistances) || medianDistance(squaredDistances.filter((value) => value > 0)));
  if (!(bandwidth > 0) || !Number.isFinite(bandwidth)) {
    if (options.bandwidth !== undefined) {
      throw new ValidationError(`the MMD bandwidth must be a positive number, not ${options.bandwidth}`, {
        code: 'DRIFT_INVALID_OPTION',
        hint: 'Omit bandwidth to use the median pairwise distance.',
      });
    }
    // every vector is identical: no discrepancy to find
    return { statistic: 0, pValue: 1, bandwidth: 0, permutations };
  }
  const kernel = squaredDistances; // (total·(total-1)/2) packed upper triangle, overwritten in place
  const scale = -1 / (2 * bandwidth * bandwidth);
  for (let i = 0; i < kernel.length; i++) kernel[i] = Math.exp(kernel[i] * scale);
  const rowSums = new Float64Array(total);
  let kernelTotal = 0;
  for (let i = 0, index = 0; i < total; i++) {
    for (let j = i + 1; j < total; j++, index++) {
      rowSums[i] += kernel[index];
      rowSums[j] += kernel[index];
      kernelTotal += kernel[index];
    }
  }
  // MMD² is symmetric in the two samples, so the smaller one plays the subset whose pairs are summed
  const subsetSize = Math.min(reference.length, current.length);
  const indices = Int32Array.from({ length: total }, (_, i) => i);
  const observedSubset = reference.length <= current.length ? 0 : reference.length;
  const statisticOf = (subset: Int32Array) => unbiasedStatistic(kernel, rowSums, kernelTotal, total, subset);
  const statistic = statisticOf(indices.slice(observedSubset, observedSubset + subsetSize));

  let atLeastAsLarge = 0;
  const subset = new Int32Array(subsetSize);
  for (let permutation = 0; permutation < permutations; permutation++) {
    // a partial Fisher-Yates shuffle draws a uniform random subset of the pooled indices
    for (let i = 0; i < subsetSize; i++) {
      const j = i + Math.floor(options.rng() * (total - i));
      const swap = indices[i];
      indices[i] = indices[j];
      indices[j] = swap;
      subset[i] = indices[i];
    }
    // sorted, the subset reads the kernel row by row; summation order differs between labellings,
    // so a hair of tolerance keeps exact ties counted
    if (statisticOf(subset.sort()) >= statistic - 1e-12) atLeastAsLarge++;
  }
  return { statistic, pValue: (1 + atLeastAsLarge) / (1 + permutations), bandwidth, permutations };
}

/** MMD²ᵤ between `subset` (sorted ascending) and its complement, from the packed kernel, its row sums and total. */
function unbiasedStatistic(
  kernel: Float64Array,
  rowSums: Float64Array,
  kernelTotal: number,
  total: number,
  subset: Int32Array,
): number {
  const s = subset.length;
  const r = total - s;
  let within = 0; // Σ over pairs inside the subset
  let rowTotal = 0;
  for (let a = 0; a < s; a++) {
    const i = subset[a];
    rowTotal += rowSums[i];
    // row i of the packed strict upper triangle starts here; ascending j walks it forwards
    const rowStart = i * total - (i * (i + 1)) / 2 - i - 1;
    for (let b = a + 1; b < s; b++) within += kernel[rowStart + subset[b]];
  }
  const cross = rowTotal - 2 * within;
  const withinRest = kernelTotal - within - cross;
  return (2 * within) / (s * (s - 1)) + (2 * withinRest) / (r * (r - 1)) - (2 * cross) / (s * r);
}

function poolVectors(reference: readonly Vector[], current: readonly Vector[]): Float64Array[] {
  for (const [name, set] of [
    ['reference', reference],
    ['current', current],
  ] as const) {
    if (set.length < 2) {
      throw new ValidationError(
        `the ${name} set has ${set.length} vector(s); unbiased MMD needs at least 2 per set`,
        {
          code: 'DRIFT_TOO_FEW_SAMPLES',
          hint: `Pass at least two ${name} vectors.`,
        },
      );
    }
  }
  if (reference.length + current.length > maximumTotalVectors) {
    throw new ValidationError(
      `the MMD test holds a kernel over all pairs; ${reference.length + current.length} vectors exceed ${maximumTotalVectors}`,
      {
        code: 'DRIFT_TOO_MANY_SAMPLES',
        hint: 'Subsample each set (e.g. 1000 vectors each) before the test.',
      },
    );
  }
  const dimension = reference[0].length;
  return [...reference, ...current].map((vector, index) => {
    if (vector.length !== dimension || dimension === 0) {
      throw new ValidationError(`vector ${index} has dimension ${vector.length}, expected ${dimension}`, {
        code: 'DRIFT_DIMENSION_MISMATCH',
        hint: 'All reference and current vectors must come from the same embedding model (same, non-zero length).',
      });
    }
    const copy = Float64Array.from(vector);
    if (!copy.every(Number.isFinite)) {
      throw new ValidationError(`vector ${index} holds a non-finite value`, {
        code: 'DRIFT_NON_FINITE_VALUE',
        hint: 'Drop vectors with NaN or infinite components.',
      });
    }
    return copy;
  });
}

function pairwiseSquaredDistances(points: Float64Array[], total: number): Float64Array {
  const distances = new Float64Array((total * (total - 1)) / 2);
  for (let i = 0, index = 0; i < total; i++) {
    const a = points[i];
    for (let j = i + 1; j < total; j++, index++) {
      const b = points[j];
      let sum = 0;
      for (let k = 0; k < a.length; k++) {
        const difference = a[k] - b[k];
        sum += difference * difference;
      }
      distances[index] = sum;
    }
  }
  return distances;
}

/** The median of the pairwise distances (numpy's: the mean of the middle two for an even count). */
function medianDistance(squaredDistances: Float64Array): number {
  if (squaredDistances.length === 0) return 0;
  const values = squaredDistances.slice();
  const upper = values.length >> 1;
  const high = Math.sqrt(select(values, upper));
  if (values.length % 2 === 1) return high;
  // after selection everything left of `upper` is ≤ it, so the lower middle is their maximum
  let lower = 0;
  for (let i = 0; i < upper; i++) if (values[i] > lower) lower = values[i];
  return (Math.sqrt(lower) + high) / 2;
}

/** The k-th smallest value (0-based), partially reordering `values` (Hoare's quickselect, median-of-three). */
function select(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    const middle = (left + right) >>> 1;
    const pivot = medianOfThree(values[left], values[middle], values[right]);
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return values[k];
  }
  return values[k];
}

function medianOfThree(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
