// Validators over the detectors (PII, banned phrases, refusals): a detected span is a failure at its
// place in the text; `fix` masks the spans with a placeholder, `filter` removes them.
import { maskSpans, type DetectedSpan } from '../detectors/index.js';
import type { Validator } from '../validator.js';

/** A validator failing wherever `detect` finds a span; `describe` words each span's reason. */
export function detectorValidator(
  name: string,
  kind: string,
  detect: (text: string) => DetectedSpan[],
  describe: (span: DetectedSpan) => string,
  masks = true,
): Validator {
  return {
    name,
    kind,
    prefixFailures: true,
    check(text) {
      const issues = detect(text).map((span) => ({
        reason: describe(span),
        start: span.start,
        end: span.end,
      }));
      return { passed: issues.length === 0, issues };
    },
    ...(masks && {
      fix: (text: string) => maskSpans(text, detect(text)),
    }),
    filter(text) {
      return maskSpans(text, detect(text), () => '');
    },
  };
}
