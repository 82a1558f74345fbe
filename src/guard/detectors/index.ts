// The guard's text detectors: personal data and credentials, refusals and banned phrases, each
// reporting spans; and the masking of spans. Pass/fail decisions and on-fail policies live in the
// guard's validators, not here.
export { kindMask, maskSpans, type DetectedSpan, type Detector } from './span.js';
export { detectPii, piiDetectors, piiKinds, type PiiKind } from './pii.js';
export { detectEmails } from './email.js';
export { detectPhones } from './phone.js';
export { detectCards } from './card.js';
export { detectIbans, ibanLengths } from './iban.js';
export { detectNationalIds } from './national-id.js';
export { detectIpAddresses, isIpv6 } from './ip.js';
export { detectSecrets } from './secret.js';
export { detectRefusal } from './refusal.js';
export { detectPhrases, phraseDetector, type PhraseOptions } from './phrases.js';
