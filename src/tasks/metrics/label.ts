// Label accuracy: the output is read as one of the task's labels (the label it starts with, else the
// one it mentions), scored against the target; reports aggregate accuracy, macro-F1 and a confusion
// matrix from the per-example labels (see aggregateLabels).
import { ValidationError } from '../../errors/index.js';
import { targetText } from './text.js';
import type { Metric, MetricContext } from './types.js';

/**
 * A letter, a combining mark or a digit: what a label found inside a longer word ("cat" in "category")
 * runs into. A mark counts as part of its word, so "क" does not stand in "कि" (a vowel sign) and "Zoe"
 * does not stand in a decomposed "Zoé".
 */
const wordCharacter = /[\p{L}\p{M}\p{N}]/u;

/**
 * Text as labels are compared: composed (NFC), so a label and an answer that spell "é" as one code point
 * or as e + U+0301 read alike, trimmed, and lowercased unless case matters.
 */
export function foldLabel(text: string, caseSensitive: boolean): string {
  const composed = text.normalize('NFC').trim();
  return caseSensitive ? composed : composed.toLowerCase();
}

/**
 * Whether `label` stands in `text` at `index` as a word of its own: no letter or digit runs on from
 * either side (a label that itself starts or ends with punctuation needs no boundary there).
 */
function standsAt(text: string, label: string, index: number): boolean {
  const before = text[index - 1];
  const after = text[index + label.length];
  const open = before === undefined || !wordCharacter.test(before) || !wordCharacter.test(label[0] ?? '');
  const close = after === undefined || !wordCharacter.test(after) || !wordCharacter.test(label.at(-1) ?? '');
  return open && close;
}

/** Whether `label` stands somewhere in `text` as a word of its own. */
function standsIn(text: string, label: string): boolean {
  for (let index = text.indexOf(label); index >= 0; index = text.indexOf(label, index + 1))
    if (standsAt(text, label, index)) return true;
  return false;
}

/**
 * The label an output names (longest first); undefined if none. A label standing as a word of its own
 * wins over one inside a longer word: the one the output starts with, else one it mentions, and only
 * then the one it starts with or mentions inside a word. So "dogsled? no, a cat" names cat, while an
 * answer whose language attaches endings to the word ("긍정입니다", "olumludur", "Sports") still names
 * its label.
 */
export function readLabel(labels: string[], output: string, caseSensitive = false): string | undefined {
  const fold = (text: string) => foldLabel(text, caseSensitive);
  const text = fold(output);
  // longest first, so "dog" does not win over "dogs"
  const candidates = labels
    .map((label) => ({ label, folded: fold(label) }))
    .sort((a, b) => b.folded.length - a.folded.length);
  const first = (named: (folded: string) => boolean) => candidates.find(({ folded }) => named(folded))?.label;
  return (
    first((label) => text.startsWith(label) && standsAt(text, label, 0)) ??
    first((label) => standsIn(text, label)) ??
    first((label) => text.startsWith(label)) ??
    first((label) => text.includes(label))
  );
}

/** Reads outputs as labels and scores them. */
export function labelMetric(options: Record<string, unknown>, context: MetricContext): Metric {
  const labels =
    (options.labels as string[] | undefined) ??
    (context.task.output.kind === 'label' ? context.task.output.labels : undefined);
  if (!labels || labels.length < 2) {
    throw new ValidationError('label: the task has no label set', {
      code: 'METRIC_OPTIONS',
      hint: 'Declare output: {kind: label, labels: [...]} or pass options.labels.',
    });
  }
  const caseSensitive = options.caseSensitive === true;
  const fold = (text: string) => foldLabel(text, caseSensitive);
  return {
    name: 'label',
    score(example, output) {
      const predicted = readLabel(labels, output, caseSensitive) ?? '(none)';
      // the label the target names, as the labels spell it: the report's counts agree with the score
      const target = targetText(example.target);
      const expected = labels.find((label) => fold(label) === fold(target)) ?? target;
      const ok = predicted !== '(none)' && fold(predicted) === fold(expected);
      return {
        score: ok ? 1 : 0,
        label: { predicted, expected },
        feedback: ok
          ? undefined
          : predicted === '(none)'
            ? `the output names none of the labels ${labels.join(', ')}`
            : `predicted ${JSON.stringify(predicted)}, expected ${JSON.stringify(expected)}`,
      };
    },
  };
}

/** Accuracy, macro-F1 and the confusion matrix (rows: expected, columns: predicted). */
export function aggregateLabels(pairs: { predicted: string; expected: string }[]): {
  accuracy: number;
  macroF1: number;
  labels: string[];
  confusion: number[][];
} {
  const labels = [...new Set(pairs.flatMap((pair) => [pair.expected, pair.predicted]))].sort();
  const index = new Map(labels.map((label, i) => [label, i]));
  const confusion = labels.map(() => labels.map(() => 0));
  for (const { predicted, expected } of pairs) confusion[index.get(expected)!][index.get(predicted)!]++;
  const expectedLabels = [...new Set(pairs.map((pair) => pair.expected))];
  const f1s = expectedLabels.map((label) => {
    const i = index.get(label)!;
    const truePositive = confusion[i][i];
    const predictedCount = confusion.reduce((sum, row) => sum + row[i], 0);
    const actualCount = confusion[i].reduce((sum, value) => sum + value, 0);
    const precision = predictedCount ? truePositive / predictedCount : 0;
    const recall = actualCount ? truePositive / actualCount : 0;
    return precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  });
  const correct = pairs.filter((pair) => pair.predicted === pair.expected).length;
  return {
    accuracy: pairs.length ? correct / pairs.length : 0,
    macroF1: f1s.length ? f1s.reduce((sum, value) => sum + value, 0) / f1s.length : 0,
    labels,
    confusion,
  };
}
