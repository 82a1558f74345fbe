// Public surface of human review: the rules that feed queues, items added by hand, deciding (corrections
// checked against the task), agreement statistics and a queue's agreement report, a judge's calibration
// against the reviewers, and corrections written as the task's next dataset version. The queues, items
// and decisions themselves are stored by the registry (registry.review).
export { cohenKappa, krippendorffAlpha, type AgreementEstimate, type AlphaMetric } from './agreement.js';
export { queueAgreement, type QueueAgreement, type NamedAgreement } from './queue-agreement.js';
export {
  createReviewQueue,
  feedQueue,
  readReviewRules,
  reviewRule,
  sampled,
  type ReviewRule,
} from './feed.js';
export { queueConfigSchema, rubricItemSchema } from './queue-config.js';
export { addTraces, addEvaluationFailures } from './item-sources.js';
export { checkCorrection } from './correction-check.js';
export { decideItem } from './decide.js';
export { resolveItems, type ResolvedItem, type HeldReason } from './resolve-items.js';
export {
  correctionsToDataset,
  pendingCorrections,
  splitOf,
  provenanceField,
  type CorrectionsOptions,
  type CorrectionsResult,
  type PendingCorrections,
} from './corrections-dataset.js';
export { judgeCalibration, humanVerdicts, type JudgeCalibration } from './judge-calibration.js';
export { similarDecisions, type SimilarDecision } from './similar-decisions.js';
export { reviewItemView, type ReviewItemView } from './item-view.js';
export { disputedItems, nextDisputed, type DisputedItem } from './disputes.js';
