// The statistical core of drift detection: per-feature tests and distances with Evidently's default
// choice, and the special functions behind their p-values. Pure functions over in-memory samples.
export {
  categoricalDrift,
  embeddingDrift,
  numericDrift,
  type CategoricalDriftTest,
  type DriftTest,
  type EmbeddingDriftOptions,
  type FeatureDriftOptions,
  type FeatureDriftResult,
  type NumericDriftTest,
} from './feature-drift.js';
export {
  kolmogorovSmirnovTest,
  type KolmogorovSmirnovMethod,
  type KolmogorovSmirnovResult,
} from './kolmogorov-smirnov.js';
export { kolmogorovSmirnovSurvival, smirnovSurvival } from './kolmogorov-distribution.js';
export {
  chiSquaredGoodnessOfFit,
  chiSquaredHomogeneityTest,
  chiSquaredTest,
  proportionZTest,
  type ChiSquaredResult,
  type ZTestResult,
} from './chi-squared.js';
export {
  jensenShannonDistance,
  normedWassersteinDistance,
  populationStabilityIndex,
  sampleJensenShannonDistance,
  wassersteinDistance,
  type BinnedDistanceOptions,
  type DriftSample,
} from './distances.js';
export {
  maximumMeanDiscrepancyTest,
  type MaximumMeanDiscrepancyOptions,
  type MaximumMeanDiscrepancyResult,
  type Vector,
} from './maximum-mean-discrepancy.js';
export {
  chiSquaredSurvival,
  kolmogorovSurvival,
  logGamma,
  normalSurvival,
  regularizedUpperGamma,
} from './special-functions.js';
export type { Binning } from './_binning.js';
export type { Category } from './_samples.js';
