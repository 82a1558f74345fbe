// One measurement of compare-methods (a method on a task at a training-set size) as a type, and as a
// schema for reading it back from the journal. It does not measure anything (method-comparison.ts does).
import { z } from 'zod';
import { METHODS, type Method } from './soft-methods.js';

/** One method on one task at one training-set size. */
export interface MethodMeasurement {
  task: string;
  method: Method;
  /**
   * Multitask prompt tuning on a task beside others: the tasks whose multitask prompt (trained first, on
   * all their examples) the task's prompt was transferred from. Absent: trained from scratch.
   */
  sourceTasks?: string[];
  /** Training examples used ("all" is the whole train split). */
  trainExamples: number;
  trainableParameters: number;
  /** The method's default learning rate, which it trained with. */
  learningRate: number;
  steps: number;
  /**
   * The median step's own seconds (forward, backward, update; no dev evaluation or checkpoint): robust to
   * a moment's load. Journals written before measured the wall clock over the run, evaluations included.
   */
  secondsPerStep: number;
  /**
   * The process's largest resident set sampled at each training step, in MB (the model and everything
   * else included; memory freed by an earlier measurement may still be held).
   */
  peakResidentMegabytes: number;
  /**
   * The largest 1-minute load average per core sampled while it trained (alone, a training reads 1 to 1.5):
   * above 2, other work shared the cores and its s/step reads slow. Absent in older journals.
   */
  loadPerCore?: number;
  /** Test exact match: greedy decoding gives the target's tokens (the shared tasks' first metric). */
  testAccuracy: number;
  /**
   * A label task's test accuracy among its labels: the label of the highest log-likelihood (the shared
   * tasks' second metric; how a label task is served, constrained to its labels). Absent otherwise.
   */
  testLabelAccuracy?: number;
  /**
   * Per test example in the split's order, "1" where it was right and "0" where not: the exact matches,
   * and a label task's label picks. Two methods' strings pair their examples, for a paired test of their
   * difference (comparison-significance.ts). Absent in journals written before 2026-12-05.
   */
  testCorrect?: string;
  testLabelCorrect?: string;
  /** The frozen model with the input alone (no tuning), on the same test split: the row to beat. */
  frozen?: {
    testAccuracy: number;
    testLabelAccuracy?: number;
    testCorrect?: string;
    testLabelCorrect?: string;
  };
  /** The training's wall-clock seconds, dev evaluations included. Absent in older journals. */
  trainingSeconds?: number;
  devAccuracy: number;
  /**
   * Perplexity of held-out text with the method applied, and without (the frozen model): --held-out's
   * passages, or the task's test inputs (which are the base model's own kind of text only for tasks like
   * the shared story tasks).
   */
  heldOutPerplexity: { before: number; after: number };
  /** When it was measured (ISO 8601); absent in a journal written before measurements said. */
  measuredAt?: string;
  serving: {
    /** Bytes a task keeps on the shared model: its adapter, and for prompts their cached keys and values. */
    bytesPerTask: number;
    /**
     * Multiply-adds a request's token costs beyond the frozen model's: attending to a prompt's or prefix's
     * cached positions, or LoRA's low-rank products (journals from before 2026-12-05 say 0 for prompts).
     */
    extraMultiplyAddsPerToken: number;
    /** Positions each request carries before its own (prompt tuning's virtual tokens). */
    extraPositionsPerRequest: number;
    /** Whether the task runs on the one frozen model the others share (full fine-tuning: a model of its own). */
    sharesModel: boolean;
  };
}

const count = z.number().int().nonnegative();
// JSON has no NaN or infinity: written as null, read back as NaN (a run without dev evaluations has no
// dev accuracy; an empty split no accuracy), so whatever was written reads back; a share (an accuracy)
// is from 0 to 1 and a size or a time not negative, so an edited 7.5 or -1 is refused
const share = z
  .number()
  .min(0)
  .max(1)
  .nullable()
  .transform((value) => value ?? NaN);
const nonNegative = z
  .number()
  .nonnegative()
  .nullable()
  .transform((value) => value ?? NaN);

const examples = z.string().regex(/^[01]*$/, 'a string of 0s and 1s, one per test example');

/**
 * A per-example string must give the accuracy it stands beside, which must be there (an edit of either is
 * refused); its length is checked against the test split where the journal is read (method-comparison.ts).
 */
const agrees = (accuracy: number | undefined, correct: string | undefined) =>
  correct === undefined ||
  // a string without the accuracy it stands beside stands for nothing
  (accuracy !== undefined &&
    correct.length > 0 &&
    Math.abs(correct.split('1').length - 1 - accuracy * correct.length) < 1e-6);
const agreement = (
  item: { testAccuracy: number; testLabelAccuracy?: number; testCorrect?: string; testLabelCorrect?: string },
  context: z.RefinementCtx,
) => {
  if (!agrees(item.testAccuracy, item.testCorrect))
    context.addIssue({ code: 'custom', path: ['testCorrect'], message: 'disagrees with testAccuracy' });
  if (!agrees(item.testLabelAccuracy, item.testLabelCorrect))
    context.addIssue({
      code: 'custom',
      path: ['testLabelCorrect'],
      message: 'disagrees with testLabelAccuracy',
    });
};

/** A measurement read back from outside (the journal): NaN and infinities were written as null. */
export const measurementSchema: z.ZodType<MethodMeasurement, unknown> = z
  .object({
    task: z.string(),
    method: z.enum(METHODS),
    sourceTasks: z.array(z.string()).min(1).optional(),
    trainExamples: count,
    trainableParameters: count,
    learningRate: nonNegative,
    steps: count,
    secondsPerStep: nonNegative,
    peakResidentMegabytes: nonNegative,
    loadPerCore: z.number().nonnegative().optional(),
    testAccuracy: share,
    testLabelAccuracy: z.number().min(0).max(1).optional(),
    testCorrect: examples.optional(),
    testLabelCorrect: examples.optional(),
    frozen: z
      .object({
        testAccuracy: z.number().min(0).max(1),
        testLabelAccuracy: z.number().min(0).max(1).optional(),
        testCorrect: examples.optional(),
        testLabelCorrect: examples.optional(),
      })
      .superRefine(agreement)
      .optional(),
    trainingSeconds: z.number().nonnegative().optional(),
    devAccuracy: share,
    heldOutPerplexity: z.object({ before: nonNegative, after: nonNegative }),
    measuredAt: z.iso.datetime().optional(),
    serving: z.object({
      bytesPerTask: count,
      extraMultiplyAddsPerToken: count,
      extraPositionsPerRequest: count,
      sharesModel: z.boolean(),
    }),
  })
  .superRefine(agreement);
