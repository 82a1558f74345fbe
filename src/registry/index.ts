// Public surface of the prompt registry.
export {
  Registry,
  datasetId,
  protectedByDefault,
  type Actor,
  type LabelEvent,
  type LabelMove,
  type PromptVersion,
  type RestoredVersion,
} from './registry.js';
export { canonicalJson, contentHash } from './canonical.js';
export { isConnectionLost, whenReachable, type OutageListener } from './connection-lost.js';
export { namePattern, referencedLabel, versionIdPattern } from './records.js';
export { exportTask, importBundle, type RegistryBundle } from './bundle.js';
export {
  adapterMethodName,
  hardVersionContent,
  diffServingSpecs,
  diffVersions,
  versionBaseModel,
  versionMethod,
  versionShape,
  versionShapeText,
  versionTestScore,
} from './versions.js';
export type { RegistryLocation, RegistryOptions } from './open-registry.js';
export type { WriteRetryPolicy } from './write-transaction.js';
export { registerTask, pushOptimized, datasetFileIds, putDatasetFiles } from './register-task.js';
export { pushSoftPrompt, type SoftPromptPush } from './register-soft.js';
export {
  versionSpec,
  versionAdapter,
  writeAdapterFolder,
  writeVersionAdapter,
  type VersionAdapter,
} from './version-files.js';
export { DatasetVersions, type DatasetVersion, type DatasetVersionInput } from './dataset-versions.js';
export { writeDatasetSplits, writeDatasetVersion } from './dataset-files.js';
export { AccessKeys, scopes, type AccessKey, type Scope } from './access-keys.js';
export {
  TraceStore,
  type TraceRecord,
  type TraceSampling,
  type TraceFilter,
  type TracePage,
  type TraceMeasurement,
} from './traces.js';
export {
  Scores,
  type ScoreRecord,
  type ScoreInput,
  type ScoreConfig,
  type ScoreKind,
  type ScoreSource,
} from './scores.js';
export {
  ExperimentStore,
  experimentStatuses,
  type ExperimentRecord,
  type ExperimentEvent,
  type ExperimentAction,
  type ExperimentChange,
  type ExperimentStatus,
} from './experiments.js';
export type { ArmQuery, ArmSums, MetricSums } from './experiment-metrics.js';
export {
  JobStore,
  jobLogLimit,
  jobStatuses,
  type JobRecord,
  type JobSummary,
  type JobPage,
  type JobStatus,
  type JobQueueName,
} from './jobs.js';
export { changeChannel, type ChangeListener, type RegistryChange } from './change-notices.js';
export { AlertRecords, type AlertStatusRecord, type AlertEventRecord } from './alert-records.js';
export {
  RunStore,
  runKinds,
  runEntryKinds,
  staleAfterMs,
  type RunKind,
  type RunStatus,
  type RunProgress,
  type RunRecord,
  type RunEntry,
  type RunEntryKind,
  type RunFilter,
  type RunPage,
  type RunStart,
  type RunFinish,
  type RunRetirement,
} from './runs.js';
export {
  ReviewStore,
  reviewDecisions,
  rubricAnswerFits,
  mayReview,
  type ReviewQueue,
  type ReviewQueueConfig,
  type RubricItem,
  type ReviewItem,
  type ReviewItemInput,
  type ReviewDecision,
  type ReviewDecisionInput,
  type ReviewDecisionKind,
} from './review.js';
export {
  describeVersionDatasets,
  diffVersionDatasets,
  madeFromLatestDatasetVersion,
} from './version-datasets.js';
export type { PolicyVerdict } from './label-policy.js';
