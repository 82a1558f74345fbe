// The personal-data and credential detectors by kind (a table), and one call that runs several of
// them on one normalized view of the text (see _normalize.ts), reporting spans in the original. It
// does not resolve overlaps between kinds (a masker merges them) nor rank confidence: every span
// returned has passed its kind's shape and checksum rules.
import { ValidationError } from '../../errors/index.js';
import { normalizeText, originalSpan, type NormalizingDetector } from './_normalize.js';
import { detectCards } from './card.js';
import { detectEmails } from './email.js';
import { detectIbans } from './iban.js';
import { detectIpAddresses } from './ip.js';
import { detectNationalIds } from './national-id.js';
import { detectPhones } from './phone.js';
import { detectSecrets } from './secret.js';
import type { DetectedSpan } from './span.js';

/** Every kind of personal data or credential the detectors know. */
export const piiKinds = ['email', 'phone', 'card', 'iban', 'national-id', 'ip', 'secret'] as const;

/** One kind of personal data or credential. */
export type PiiKind = (typeof piiKinds)[number];

/** The detector of each kind. */
export const piiDetectors: Readonly<Record<PiiKind, NormalizingDetector>> = {
  email: detectEmails,
  phone: detectPhones,
  card: detectCards,
  iban: detectIbans,
  'national-id': detectNationalIds,
  ip: detectIpAddresses,
  secret: detectSecrets,
};

/** The spans of the given kinds (all by default) in `text`, ordered by start (then longest first). */
export function detectPii(text: string, kinds: readonly PiiKind[] = piiKinds): DetectedSpan[] {
  const spans: DetectedSpan[] = [];
  const normalized = normalizeText(text);
  for (const kind of kinds) {
    const detector = Object.hasOwn(piiDetectors, kind) ? piiDetectors[kind] : undefined;
    if (detector === undefined) {
      throw new ValidationError(`Unknown PII kind "${String(kind)}".`, {
        code: 'GUARD_UNKNOWN_PII_KIND',
        hint: `Use some of: ${piiKinds.join(', ')}.`,
      });
    }
    for (const span of detector.normalized(normalized.text)) spans.push(originalSpan(normalized, span));
  }
  return spans.sort((a, b) => a.start - b.start || b.end - a.end);
}
