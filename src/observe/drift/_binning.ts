// Shared histogram of two samples, as Evidently's get_binned_data builds it for PSI and Jensen-Shannon
// (private to this folder): numeric samples whose reference has more than 20 distinct values are
// binned on equal-width edges over both samples together (numpy's histogram_bin_edges, Sturges' rule
// by default); anything else is counted per value. Quantile bins are deliberately not offered:
// Evidently does not use them.
import { ValidationError } from '../../errors/index.js';
import { countCategories, type Category } from './_samples.js';

/** How numeric samples are binned: Sturges' rule (Evidently's choice) or a fixed number of equal-width bins. */
export type Binning = 'sturges' | number;

/** Each sample's share of values per bin (or per category), over the same bins. */
export interface BinnedShares {
  reference: number[];
  current: number[];
}

/** Shares per shared bin; numeric samples with at most 20 distinct reference values count per value. */
export function binnedShares(
  reference: ArrayLike<Category>,
  current: ArrayLike<Category>,
  binning: Binning = 'sturges',
): BinnedShares {
  const numeric = typeof reference[0] === 'number';
  if (numeric && new Set(Array.from(reference)).size > 20) {
    const edges = histogramEdges(reference as ArrayLike<number>, current as ArrayLike<number>, binning);
    return {
      reference: histogram(reference as ArrayLike<number>, edges).map((count) => count / reference.length),
      current: histogram(current as ArrayLike<number>, edges).map((count) => count / current.length),
    };
  }
  const counts = countCategories(reference, current);
  return {
    reference: counts.reference.map((count) => count / reference.length),
    current: counts.current.map((count) => count / current.length),
  };
}

/** numpy.histogram_bin_edges(concatenate(reference, current), bins) for 'sturges' or a bin count. */
export function histogramEdges(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  binning: Binning,
): number[] {
  if (binning !== 'sturges' && !(Number.isInteger(binning) && binning >= 1)) {
    throw new ValidationError(`bins must be 'sturges' or a positive integer, not ${String(binning)}`, {
      code: 'DRIFT_INVALID_OPTION',
      hint: "Pass bins: 'sturges' (Evidently's default) or a whole number such as 30.",
    });
  }
  let minimum = Infinity;
  let maximum = -Infinity;
  for (const sample of [reference, current]) {
    for (let i = 0; i < sample.length; i++) {
      if (sample[i] < minimum) minimum = sample[i];
      if (sample[i] > maximum) maximum = sample[i];
    }
  }
  const spread = maximum - minimum;
  let first = minimum;
  let last = maximum;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let count: number;
  if (binning === 'sturges') {
    // numpy derives a width from the data's spread, then the count from the (possibly widened) range
    const width = spread / (Math.log2(reference.length + current.length) + 1);
    count = width ? Math.ceil((last - first) / width) : 1;
  } else {
    count = binning;
  }
  // numpy.linspace: start + i·step, with the last edge set to stop exactly
  const step = (last - first) / count;
  const edges = Array.from({ length: count + 1 }, (_, i) => i * step + first);
  edges[count] = last;
  return edges;
}

/** numpy.histogram counts for given edges: [eᵢ, eᵢ₊₁) except the last bin, which is closed. */
function histogram(values: ArrayLike<number>, edges: number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  const last = edges.length - 1;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value < edges[0] || value > edges[last]) continue;
    if (value === edges[last]) {
      counts[last - 1]++;
      continue;
    }
    // the largest edge index with edges[index] <= value
    let low = 0;
    let high = last;
    while (high - low > 1) {
      const middle = (low + high) >>> 1;
      if (edges[middle] <= value) low = middle;
      else high = middle;
    }
    counts[low]++;
  }
  return counts;
}
