// Public surface of experiments: sticky traffic assignment to weighted arms, the always-valid
// sequential test of two arms' means (mSPRT) with its confidence sequence, the sample-ratio-mismatch
// check, canary rollouts' step decisions with guardrails, and experiments stored in the registry
// (started, looked at from the service's traces and scores, promoted or rolled back, stopped).
export { armOf, unitPosition, type Arm } from './assignment.js';
export {
  addObservation,
  combined,
  emptyMoments,
  observationsToClear,
  sequentialTest,
  variance,
  type Moments,
  type SequentialOptions,
  type SequentialResult,
} from './sequential-test.js';
export { sampleRatioCheck, type SampleRatio } from './sample-ratio.js';
export {
  canaryDecision,
  defaultSchedule,
  startCanary,
  type ArmMetrics,
  type CanaryDecision,
  type CanaryOptions,
  type CanaryState,
  type CanaryStep,
} from './canary.js';
export {
  canaryStepSchema,
  experimentConfigSchema,
  newConfigProblem,
  promotionRules,
  guardrailMetrics,
  type ExperimentConfig,
  type ExperimentConfigInput,
  type GuardrailMetric,
} from './experiment-config.js';
export {
  assessExperiment,
  experimentConfig,
  lookAtExperiment,
  momentsOf,
  startExperiment,
  stopExperiment,
  unknownPrimaryWarning,
  unservableVersionCodes,
  type ArmSummary,
  type LookResult,
  type LookStatistics,
  type TestSummary,
} from './stored-experiments.js';
export { ExperimentWatcher, type ExperimentWatcherOptions } from './experiment-watcher.js';
