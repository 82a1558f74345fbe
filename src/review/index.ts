// Public surface of human review: the rules that feed queues, agreement statistics and a queue's
// agreement report. The queues, items and decisions themselves are stored by the registry (registry.review).
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
