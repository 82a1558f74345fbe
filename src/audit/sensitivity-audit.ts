// The sensitivity audit: the task scored with its original prompt and with variants of it (formats,
// demo orders, a teacher's paraphrases; prompt-variants.ts, paraphrases.ts) and with noisy inputs
// (input-noise.ts), each through the evaluation harness on the same examples. Reports each variant's
// score with its interval and its drop from the original (PromptBench's performance drop rate), the
// spread over all of them and per family (spread-statistics.ts), worst first. A soft prompt has no
// template to vary: `promptVariants: false` scores input noise only.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { ValidationError } from '../errors/index.js';
import { evaluatedModel, mean, scoreInterval } from '../eval/index.js';
import { exampleId, type Example, type Task } from '../tasks/index.js';
import { promptScorer, type AuditRunOptions } from './audit-runs.js';
import { noiseKinds, noisyFields, type NoiseKind } from './input-noise.js';
import { paraphraseVariants } from './paraphrases.js';
import { demoOrderVariants, formatVariants, type PromptVariant } from './prompt-variants.js';
import { scoreSpread, type Spread } from './spread-statistics.js';

/** What a sensitivity audit runs on. */
export interface SensitivityOptions extends AuditRunOptions {
  /** Vary the prompt (formats, demo orders, paraphrases); false for soft prompts (default true). */
  promptVariants?: boolean;
  /** Formats sampled from the grammar (default 8). */
  formats?: number;
  /** Demo orders (default 3; none without two demos). */
  demoOrders?: number;
  /** The model that writes paraphrases (none without it). */
  teacher?: LanguageModelV3;
  /** Where the teacher is served when its model name alone does not say (an openai-compatible base URL). */
  teacherEndpoint?: string;
  /** Paraphrases asked for (default 3). */
  paraphrases?: number;
  /** Kinds of input noise (default all). */
  noise?: NoiseKind[];
}

/** The families of variants. */
export type VariantFamily = 'original' | PromptVariant['family'] | 'noise';

/** One variant's score. */
export interface VariantScore {
  family: VariantFamily;
  name: string;
  score: number;
  interval: [number, number];
  /** (original − variant) / original; null when the original scores 0. */
  drop: number | null;
  /** The template it used, for prompt variants. */
  template?: string;
}

/** What a sensitivity audit found. */
export interface SensitivityAudit {
  task: string;
  split: string;
  model: string;
  n: number;
  original: VariantScore;
  /** Every variant, worst first. */
  variants: VariantScore[];
  /** Over the original and every variant. */
  spread: Spread;
  /** Per family, over the original and that family's variants, with the mean drop. */
  families: Partial<
    Record<Exclude<VariantFamily, 'original'>, Spread & { count: number; meanDrop: number | null }>
  >;
  paraphrasesRefused: number;
  calls: number;
  cacheHits: number;
  cost: number | undefined;
  durationMs: number;
}

interface Planned {
  family: VariantFamily;
  name: string;
  task: Task;
  examples: Example[];
  template?: string;
}

/** Runs the audit. */
export async function sensitivityAudit(options: SensitivityOptions): Promise<SensitivityAudit> {
  const started = Date.now();
  const { task, examples } = options;
  const seed = options.seed ?? 0;
  const prompt = task.spec.prompt;
  const promptVariants: PromptVariant[] = [];
  let paraphrasesRefused = 0;
  if (options.promptVariants !== false) {
    promptVariants.push(...formatVariants(prompt, { count: options.formats ?? 8, seed }));
    promptVariants.push(...demoOrderVariants(prompt, { count: options.demoOrders ?? 3, seed }));
    if (options.teacher) {
      const written = await paraphraseVariants(prompt, options.teacher, {
        count: options.paraphrases ?? 3,
        seed,
        signal: options.signal,
        cache: options.cache,
        endpoint: options.teacherEndpoint,
        timeoutMs: options.timeoutMs,
      });
      promptVariants.push(...written.variants);
      paraphrasesRefused = written.refused;
    }
  }
  const withPrompt = (variant: PromptVariant): Task => ({
    ...task,
    spec: { ...task.spec, prompt: variant.prompt },
  });
  const noisy = (kind: NoiseKind): Example[] =>
    examples.map((example) => {
      const fields = noisyFields(
        example.fields,
        example.target,
        kind,
        seed * 7919 + example.index * 31 + noiseKinds.indexOf(kind),
      );
      return { ...example, fields, id: exampleId(fields, example.target) };
    });
  const plan: Planned[] = [
    { family: 'original', name: 'original', task, examples },
    ...promptVariants.map((variant) => ({
      family: variant.family,
      name: variant.name,
      task: withPrompt(variant),
      examples,
      template: variant.prompt.template,
    })),
    ...(options.noise ?? noiseKinds).map((kind) => ({
      family: 'noise' as const,
      name: kind,
      task,
      examples: noisy(kind),
    })),
  ];
  // the original alone has no spread: a "0.000" over one prompt would read as a robust one
  if (plan.length === 1)
    throw new ValidationError(
      `nothing to vary: no format, demo order, paraphrase or noise variant of ${task.spec.name}'s prompt`,
      {
        code: 'AUDIT_NOTHING_TO_VARY',
        hint:
          options.promptVariants === false
            ? 'An adapter is audited on input noise: leave out --noise none, or give the kinds (--noise typos,filler).'
            : 'Give --formats N, --demo-orders N (with two or more demos), --teacher with --paraphrases, or --noise kinds.',
      },
    );
  const scorer = promptScorer(options, plan.length * examples.length);
  const scores: number[][] = [];
  for (const planned of plan) scores.push(await scorer.score(planned.task, planned.examples));
  const originalScore = mean(scores[0]);
  const scored: VariantScore[] = plan.map((planned, index) => ({
    family: planned.family,
    name: planned.name,
    score: mean(scores[index]),
    // Wilson's on right-or-wrong scores: 0 of 40 is [0, 0.088], where the bootstrap said [0, 0]
    interval: scoreInterval(scores[index], { seed: seed + index, resamples: options.resamples ?? 1000 }),
    drop: originalScore === 0 ? null : (originalScore - mean(scores[index])) / originalScore,
    ...(planned.template !== undefined && { template: planned.template }),
  }));
  const spreadOf = (rows: number[]) =>
    scoreSpread(
      rows.map((row) => scores[row]),
      { seed, resamples: options.resamples },
    );
  const families: SensitivityAudit['families'] = {};
  for (const family of ['format', 'demo-order', 'paraphrase', 'noise'] as const) {
    const rows = plan.flatMap((planned, index) => (planned.family === family ? [index] : []));
    if (rows.length === 0) continue;
    const drops = rows.map((row) => scored[row].drop).filter((drop): drop is number => drop !== null);
    families[family] = {
      ...spreadOf([0, ...rows]),
      count: rows.length,
      meanDrop: drops.length ? mean(drops) : null,
    };
  }
  return {
    task: task.spec.name,
    split: options.split,
    model: evaluatedModel(options.model, 'model').name,
    n: examples.length,
    original: scored[0],
    variants: scored.slice(1).sort((a, b) => a.score - b.score),
    spread: spreadOf(plan.map((_, index) => index)),
    families,
    paraphrasesRefused,
    ...scorer.spend,
    durationMs: Date.now() - started,
  };
}
