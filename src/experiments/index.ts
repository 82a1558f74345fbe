// Public surface of experiments (issue 18, first step): sticky traffic assignment to weighted arms, the
// always-valid sequential test of two arms' means (mSPRT) with its confidence sequence, the
// sample-ratio-mismatch check, and canary rollouts' step decisions with guardrails. Experiments stored
// in the registry, the service's traffic split, the CLI and the dashboard come next.
export { armOf, unitPosition, type Arm } from './assignment.js';
export {
  addObservation,
  combined,
  emptyMoments,
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
  type CanaryState,
  type CanaryStep,
} from './canary.js';
