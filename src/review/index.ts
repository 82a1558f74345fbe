// Public surface of human review: agreement statistics and a queue's agreement report. The queues,
// items and decisions themselves are stored by the registry (registry.review).
export { cohenKappa, krippendorffAlpha, type AgreementEstimate, type AlphaMetric } from './agreement.js';
export { queueAgreement, type QueueAgreement, type NamedAgreement } from './queue-agreement.js';
