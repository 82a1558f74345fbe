// Variants of a hard prompt for the sensitivity audit. Formats in FormatSpread's spirit (Sclar et al.
// 2024): a grammar of equivalent renderings (the case of field descriptors such as "Q:", the separator
// after them, the spacing between lines, a trailing space or newline, the separator between demos),
// sampled with a seed, placeholders and their values untouched. Demo orders: permutations of the demos.
// Instruction paraphrases come from a teacher model (paraphrases.ts). It calls no model.
import { seededRandom } from '../engine/index.js';
import type { TaskSpec } from '../tasks/index.js';

/** A prompt the audit scores in place of the original. */
export interface PromptVariant {
  family: 'format' | 'demo-order' | 'paraphrase';
  /** What differs from the original, in a few words. */
  name: string;
  prompt: TaskSpec['prompt'];
}

type Rewrite = { name: string; apply: (text: string) => string };

// a descriptor is a capitalized word or two at a line's start followed by a colon: "Q:", "Answer:"
const descriptor = /^([A-Za-z][A-Za-z ]{0,30}?)\s*:/gm;
/** The template's text outside its {{placeholders}} rewritten by `rewrite`, placeholders kept as they are. */
function outsidePlaceholders(template: string, rewrite: (text: string) => string): string {
  return template
    .split(/(\{\{\s*[\w.-]+\s*\}\})/)
    .map((part, index) => (index % 2 === 1 ? part : rewrite(part)))
    .join('');
}

const casings: Rewrite[] = [
  { name: '', apply: (text) => text },
  {
    name: 'descriptors lower case',
    apply: (text) => text.replace(descriptor, (_, word: string) => `${word.toLowerCase()}:`),
  },
  {
    name: 'descriptors upper case',
    apply: (text) => text.replace(descriptor, (_, word: string) => `${word.toUpperCase()}:`),
  },
  {
    name: 'descriptors title case',
    apply: (text) =>
      text.replace(
        descriptor,
        (_, word: string) => `${word.replace(/\b\p{L}/gu, (letter) => letter.toUpperCase())}:`,
      ),
  },
];
const separators: Rewrite[] = [
  { name: '', apply: (text) => text },
  ...[' :', ' -', ' ::', ' ='].map((separator) => ({
    name: `"${separator.trim()}" after descriptors`,
    apply: (text: string) => text.replace(descriptor, (_, word: string) => `${word}${separator}`),
  })),
];
const spacings: Rewrite[] = [
  { name: '', apply: (text) => text },
  { name: 'lines joined by a space', apply: (text) => text.replace(/\n/g, ' ') },
  { name: 'blank lines between lines', apply: (text) => text.replace(/\n/g, '\n\n') },
  { name: 'lines joined by " || "', apply: (text) => text.replace(/\n/g, ' || ') },
];
const endings: Rewrite[] = [
  { name: '', apply: (text) => text },
  { name: 'a trailing space', apply: (text) => `${text} ` },
  { name: 'a trailing newline', apply: (text) => `${text}\n` },
];
const demoSeparators = ['\n\n', '\n', '\n###\n', '\n\n---\n\n'];

/** Every format of the grammar that renders differently from the original, in a seeded order, the first `count`. */
export function formatVariants(
  prompt: TaskSpec['prompt'],
  options: { count: number; seed: number },
): PromptVariant[] {
  const seen = new Set([JSON.stringify([prompt.template, prompt.demoSeparator])]);
  const variants: PromptVariant[] = [];
  const separatorsOfDemos = prompt.demos.length > 1 ? demoSeparators : [prompt.demoSeparator];
  for (const casing of casings)
    for (const separator of separators)
      for (const spacing of spacings)
        for (const ending of endings)
          for (const demoSeparator of separatorsOfDemos) {
            const template = ending.apply(
              outsidePlaceholders(prompt.template, (text) =>
                spacing.apply(separator.apply(casing.apply(text))),
              ),
            );
            const key = JSON.stringify([template, demoSeparator]);
            if (seen.has(key)) continue;
            seen.add(key);
            const demoChange =
              demoSeparator === prompt.demoSeparator
                ? ''
                : `demos separated by ${JSON.stringify(demoSeparator)}`;
            const name = [casing.name, separator.name, spacing.name, ending.name, demoChange]
              .filter(Boolean)
              .join(', ');
            variants.push({ family: 'format', name, prompt: { ...prompt, template, demoSeparator } });
          }
  return shuffled(variants, options.seed).slice(0, options.count);
}

/** Up to `count` orders of the demos other than the original, seeded. */
export function demoOrderVariants(
  prompt: TaskSpec['prompt'],
  options: { count: number; seed: number },
): PromptVariant[] {
  if (prompt.demos.length < 2) return [];
  const seen = new Set([prompt.demos.map((_, index) => index).join(',')]);
  const variants: PromptVariant[] = [];
  const random = seededRandom(options.seed);
  for (let attempt = 0; attempt < options.count * 20 && variants.length < options.count; attempt++) {
    const order = shuffled(
      prompt.demos.map((_, index) => index),
      Math.floor(random() * 2 ** 31),
    );
    const key = order.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    variants.push({
      family: 'demo-order',
      name: `demos in order ${order.map((index) => index + 1).join(', ')}`,
      prompt: { ...prompt, demos: order.map((index) => prompt.demos[index]) },
    });
  }
  return variants;
}

/** A seeded Fisher–Yates shuffle (a copy). */
export function shuffled<T>(items: T[], seed: number): T[] {
  const random = seededRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
