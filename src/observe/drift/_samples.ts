// Input checks and category counting shared by the drift tests (private to this folder). Rejects empty
// and non-finite samples rather than dropping values: deciding what a missing value means belongs to
// the caller, not to a statistic.
import { ValidationError } from '../../errors/index.js';

/** A category value: strings for categorical features, numbers for numeric ones with few values. */
export type Category = string | number;

/** Throws a ValidationError unless `values` is non-empty and every value is a finite number. */
export function checkNumericSample(values: ArrayLike<number>, name: string): void {
  if (values.length === 0) {
    throw new ValidationError(`the ${name} sample is empty; a drift test needs at least one value`, {
      code: 'DRIFT_EMPTY_SAMPLE',
      hint: `Pass a ${name} sample with at least one value.`,
    });
  }
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) {
      throw new ValidationError(
        `the ${name} sample has ${String(values[i])} at index ${i}, not a finite number`,
        {
          code: 'DRIFT_NON_FINITE_VALUE',
          hint: 'Drop or impute missing and infinite values before testing for drift.',
        },
      );
    }
  }
}

/** Throws a ValidationError unless `values` is non-empty and holds only strings or finite numbers. */
export function checkCategoricalSample(values: readonly Category[], name: string): void {
  if (values.length === 0) {
    throw new ValidationError(`the ${name} sample is empty; a drift test needs at least one value`, {
      code: 'DRIFT_EMPTY_SAMPLE',
      hint: `Pass a ${name} sample with at least one value.`,
    });
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new ValidationError(`the ${name} sample has ${String(value)} at index ${i}, not a category`, {
        code: 'DRIFT_NON_FINITE_VALUE',
        hint: 'Categories are strings (or finite numbers); drop or label missing values first.',
      });
    }
  }
}

/** Counts of each category in both samples, over the union of categories in a stable sorted order. */
export interface CategoryCounts {
  categories: Category[];
  reference: number[];
  current: number[];
}

/** Counts categories of both samples over their union (numbers before strings, each ascending). */
export function countCategories(
  reference: ArrayLike<Category>,
  current: ArrayLike<Category>,
): CategoryCounts {
  const referenceCounts = tally(reference);
  const currentCounts = tally(current);
  const categories = [...new Set([...referenceCounts.keys(), ...currentCounts.keys()])].sort(
    compareCategories,
  );
  return {
    categories,
    reference: categories.map((category) => referenceCounts.get(category) ?? 0),
    current: categories.map((category) => currentCounts.get(category) ?? 0),
  };
}

/** The number of distinct values across both samples (Evidently's n_unique over reference ∪ current). */
export function distinctCount(reference: ArrayLike<Category>, current: ArrayLike<Category>): number {
  const seen = new Set<Category>();
  for (let i = 0; i < reference.length; i++) seen.add(reference[i]);
  for (let i = 0; i < current.length; i++) seen.add(current[i]);
  return seen.size;
}

function tally(values: ArrayLike<Category>): Map<Category, number> {
  const counts = new Map<Category, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i], (counts.get(values[i]) ?? 0) + 1);
  return counts;
}

function compareCategories(a: Category, b: Category): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
