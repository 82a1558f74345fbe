// Output must be exactly one of a label set (after trimming). `fix` maps an output to the label it
// names (starts with, else mentions), else to the nearest label by edit distance, so a chatty or
// misspelt answer becomes a clean label.
import { cutText, editDistance, ValidationError } from '../../errors/index.js';
import { foldLabel, readLabel } from '../../tasks/index.js';
import type { Validator } from '../validator.js';

/** Output must be one of `labels`. */
export function labelsValidator(name: string, labels: string[], caseSensitive: boolean): Validator {
  if (!Array.isArray(labels) || labels.length === 0 || labels.some((label) => typeof label !== 'string'))
    throw new ValidationError(`${name}: a labels validator needs labels (text) to check against`, {
      code: 'GUARD_OPTIONS',
      hint: "Give labels such as [' dog', ' cat'], or declare the task's output labels.",
    });
  // as the label metric reads them: composed ("é" as one code point or e + U+0301 alike), trimmed
  const fold = (text: string) => foldLabel(text, caseSensitive);
  const folded = new Set(labels.map(fold));
  return {
    name,
    kind: 'labels',
    prefixFailures: false,
    check(text) {
      if (folded.has(fold(text))) return { passed: true, issues: [] };
      const shown = cutText(text.trim(), 80);
      return {
        passed: false,
        issues: [
          { reason: `"${shown}" is not one of ${labels.map((label) => `"${label.trim()}"`).join(', ')}` },
        ],
      };
    },
    fix(text) {
      const named = readLabel(labels, text, caseSensitive);
      if (named !== undefined) return named;
      const target = fold(text);
      if (target === '') return undefined;
      let best = labels[0];
      let distance = Infinity;
      for (const label of labels) {
        const candidate = editDistance(target, fold(label));
        if (candidate < distance) [best, distance] = [label, candidate];
      }
      // a guess further than half the label's length is no repair
      return distance <= Math.ceil(fold(best).length / 2) ? best : undefined;
    },
  };
}
