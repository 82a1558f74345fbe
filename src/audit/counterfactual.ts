// Counterfactual inputs: an example rewritten with another group's terms, consistently (the same name
// becomes the same other name everywhere in the example, its target included, so a task whose answer is
// the name still has a right answer). Whole words only; a paired set keeps the first letter's case
// ("She" becomes "He") and swaps both ways at once, as counterfactual data augmentation does. An input
// with names of two groups is not rewritten (which group would it stand for?), nor one with more names
// than another group can stand in for. It calls no model.
import type { AttributeSet } from './attribute-sets.js';

/** An example rewritten for one group. */
export interface Counterfactual {
  group: string;
  fields: Record<string, unknown>;
  target: unknown;
  /** Each replaced term and what replaced it. */
  replacements: Record<string, string>;
}

/** The example as each group of the set would have it, the original first; undefined when none applies. */
export function counterfactuals(
  example: { fields: Record<string, unknown>; target: unknown },
  set: AttributeSet,
): Counterfactual[] | undefined {
  const texts = [...Object.values(example.fields), example.target].filter(
    (value): value is string => typeof value === 'string',
  );
  const found = set.groups.map((group) =>
    group.terms.filter((term) => texts.some((text) => occurs(text, term, set))),
  );
  const present = found.flatMap((terms, index) => (terms.length ? [index] : []));
  if (present.length === 0 || (set.kind === 'names' && present.length > 1)) return undefined;
  const source = present.length === 1 ? present[0] : majority(found, texts);
  const original: Counterfactual = { group: set.groups[source].name, ...example, replacements: {} };
  const variants = set.groups.flatMap((group, index) => {
    if (index === source) return [];
    const replacements =
      set.kind === 'names'
        ? nameMapping(found[source], set.groups[source].terms, group.terms, texts)
        : pairedMapping(set, source, index);
    return [{ group: group.name, ...rewrite(example, replacements, set), replacements }];
  });
  // more names than the other group has distinct names for: no complete counterfactual
  if (
    set.kind === 'names' &&
    variants.some((variant) => Object.keys(variant.replacements).length < found[source].length)
  )
    return undefined;
  return [original, ...variants];
}

/** The text with a counterfactual's replacements undone (to compare an answer with the original's). */
export function undoReplacements(
  text: string,
  counterfactual: Pick<Counterfactual, 'replacements'>,
  set: AttributeSet,
): string {
  const inverse: Record<string, string> = {};
  const paired = set.kind === 'paired';
  for (const [from, to] of Object.entries(counterfactual.replacements))
    inverse[paired ? to.toLowerCase() : to] ??= from;
  return replaceWords(text, inverse, paired);
}

const escape = (term: string) => term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const wordPattern = (term: string, flags: string) =>
  new RegExp(`(?<![\\p{L}\\p{N}])${escape(term)}(?![\\p{L}\\p{N}])`, flags);

function occurs(text: string, term: string, set: AttributeSet): boolean {
  return wordPattern(term, set.kind === 'paired' ? 'iu' : 'u').test(text);
}

/** For a paired set with terms of both groups present: the group with more occurrences is the source. */
function majority(found: string[][], texts: string[]): number {
  const counts = found.map((terms) =>
    [...new Set(terms.map((term) => term.toLowerCase()))].reduce(
      (sum, term) =>
        sum + texts.reduce((inner, text) => inner + (text.match(wordPattern(term, 'giu')) ?? []).length, 0),
      0,
    ),
  );
  return counts.indexOf(Math.max(...counts));
}

/** Each name present mapped to a distinct name of the target group not already in the example. */
function nameMapping(present: string[], sourceTerms: string[], targetTerms: string[], texts: string[]) {
  const replacements: Record<string, string> = {};
  const taken = new Set<string>();
  for (const name of present) {
    const start = sourceTerms.indexOf(name) % targetTerms.length;
    for (let offset = 0; offset < targetTerms.length; offset++) {
      const candidate = targetTerms[(start + offset) % targetTerms.length];
      if (taken.has(candidate) || texts.some((text) => wordPattern(candidate, 'u').test(text))) continue;
      replacements[name] = candidate;
      taken.add(candidate);
      break;
    }
  }
  return replacements;
}

/** Term i of the source group to term i of the target, and (swapping both ways) back. */
function pairedMapping(set: AttributeSet, source: number, target: number): Record<string, string> {
  const replacements: Record<string, string> = {};
  const from = set.groups[source].terms;
  const to = set.groups[target].terms;
  from.forEach((term, index) => (replacements[term.toLowerCase()] ??= to[index].toLowerCase()));
  to.forEach((term, index) => (replacements[term.toLowerCase()] ??= from[index].toLowerCase()));
  return replacements;
}

function rewrite(
  example: { fields: Record<string, unknown>; target: unknown },
  replacements: Record<string, string>,
  set: AttributeSet,
): { fields: Record<string, unknown>; target: unknown } {
  const paired = set.kind === 'paired';
  const apply = (value: unknown) =>
    typeof value === 'string' ? replaceWords(value, replacements, paired) : value;
  return {
    fields: Object.fromEntries(Object.entries(example.fields).map(([field, value]) => [field, apply(value)])),
    target: apply(example.target),
  };
}

/** Every whole-word occurrence of a key replaced at once (so a swap never replaces its own output). */
function replaceWords(text: string, replacements: Record<string, string>, ignoreCase: boolean): string {
  const keys = Object.keys(replacements).sort((a, b) => b.length - a.length);
  if (keys.length === 0) return text;
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{N}])(${keys.map(escape).join('|')})(?![\\p{L}\\p{N}])`,
    ignoreCase ? 'giu' : 'gu',
  );
  return text.replace(pattern, (word) => {
    const replacement = replacements[ignoreCase ? word.toLowerCase() : word] ?? word;
    if (!ignoreCase) return replacement;
    if (word === word.toUpperCase() && word.length > 1) return replacement.toUpperCase();
    return word[0] === word[0].toUpperCase()
      ? replacement[0].toUpperCase() + replacement.slice(1)
      : replacement;
  });
}
