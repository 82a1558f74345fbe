// Which of a comparison's differences are real: for each task, at its largest training-set size, the
// method with the best test accuracy (a label task's label accuracy, as it is served; else exact match)
// against every other method and the frozen model, on the same test examples. Each difference gets a
// paired bootstrap interval (eval's, seeded) and McNemar's exact p-value, the p-values adjusted together
// by Holm's method so that "clearly below" holds for all of them at once at 5%. One seed each: the test
// examples are the only source of chance these intervals know, not the training's.
import { mcnemarExact, mean, pairedBootstrap, scoreInterval } from '../eval/index.js';
import { methodName } from './comparison-table.js';
import type { MethodMeasurement } from './method-measurement.js';

/** What serving a row costs (the frozen model: nothing beyond the model itself). */
export interface ServingCost {
  bytesPerTask: number;
  extraMultiplyAddsPerToken: number;
  sharesModel: boolean;
}

/** One method's standing against the task's best. */
export interface MethodStanding {
  name: string;
  /** soft train's --method of the row; absent for the frozen model. */
  method?: string;
  /** A multitask prompt transferred from a prompt of the other tasks (soft train-multitask makes it). */
  transferred?: boolean;
  accuracy: number;
  serving?: ServingCost;
  /** The 95% interval of its accuracy (Wilson's) on the test examples. */
  interval: [number, number];
  /** Against the best (absent for the best itself): its accuracy less the best's, paired by example. */
  difference?: {
    value: number;
    interval: [number, number];
    /** Holm-adjusted p-value of the difference (McNemar's exact test). */
    pValue: number;
    /** Below the best beyond chance (adjusted p < 0.05). */
    clearlyWorse: boolean;
  };
}

/** A task's comparison judged at its largest training-set size. */
export interface TaskStanding {
  task: string;
  trainExamples: number;
  testExamples: number;
  measure: 'label accuracy' | 'exact match';
  /**
   * The best first, then the others from the best accuracy down; the frozen model among them. Rows of
   * the same accuracy in order of serving cost (on the shared model first, then fewer bytes a task, then
   * fewer multiply-adds a token): of tied rows, the cheapest is the best.
   */
  methods: MethodStanding[];
  /**
   * The cheapest to serve of the best and the rows not clearly below it: the row to pick, as far as
   * these test examples tell. Absent in summaries written before it was kept.
   */
  pick?: string;
  /** Rows measured before per-example results were kept, which no test can pair. */
  unpaired: string[];
  /** Rows measured on another test split (another number of examples than most rows'): not paired. */
  otherSplit: string[];
}

const FROZEN = 'no tuning (the frozen model)';

/** Orders two serving costs: a task on the shared model first, then fewer bytes, then fewer multiply-adds. */
export function byServingCost(a: ServingCost | undefined, b: ServingCost | undefined): number {
  const cost = (serving: ServingCost | undefined) =>
    serving
      ? [serving.sharesModel ? 0 : 1, serving.bytesPerTask, serving.extraMultiplyAddsPerToken]
      : [2, Number.MAX_VALUE, Number.MAX_VALUE];
  const [left, right] = [cost(a), cost(b)];
  return left.map((value, index) => value - right[index]).find((difference) => difference !== 0) ?? 0;
}

/** The frozen model's serving cost: the shared model alone. */
const FROZEN_COST: ServingCost = { bytesPerTask: 0, extraMultiplyAddsPerToken: 0, sharesModel: true };

/** Each task's standing at its largest size, for the tasks whose measurements kept per-example results. */
export function comparisonStandings(measurements: MethodMeasurement[]): TaskStanding[] {
  const tasks = [...new Set(measurements.map((measurement) => measurement.task))];
  return tasks.flatMap((task): TaskStanding[] => {
    const own = measurements.filter((measurement) => measurement.task === task);
    const trainExamples = Math.max(...own.map((measurement) => measurement.trainExamples));
    const largest = own.filter((measurement) => measurement.trainExamples === trainExamples);
    const labelled = largest.some((measurement) => measurement.testLabelAccuracy !== undefined);
    const pick = (item: NonNullable<MethodMeasurement['frozen']>) =>
      labelled ? item.testLabelCorrect : item.testCorrect;
    const frozen = own.find((measurement) => measurement.frozen)?.frozen;
    const rows = [
      ...largest.map((measurement) => ({
        name: methodName(measurement),
        method: measurement.method as string | undefined,
        transferred: measurement.sourceTasks !== undefined,
        serving: measurement.serving,
        correct: pick(measurement),
      })),
      ...(frozen
        ? [
            {
              name: FROZEN,
              method: undefined,
              transferred: false,
              serving: FROZEN_COST,
              correct: pick(frozen),
            },
          ]
        : []),
    ];
    const paired = rows.flatMap((row) =>
      row.correct === undefined ? [] : [{ ...row, correct: [...row.correct].map(Number) }],
    );
    // most rows' number of test examples; strings of another length came from another test split (a
    // folder edited between runs whose journal kept the older measurements)
    const lengths = paired.map((row) => row.correct.length);
    const count = (length: number) => lengths.filter((each) => each === length).length;
    const testExamples = lengths.reduce(
      (common, length) => (count(length) > count(common) ? length : common),
      lengths[0] ?? 0,
    );
    const comparable = paired.filter((row) => row.correct.length === testExamples);
    const measure = labelled ? ('label accuracy' as const) : ('exact match' as const);
    const unpaired = rows.filter((row) => row.correct === undefined).map((row) => row.name);
    const otherSplit = paired.filter((row) => row.correct.length !== testExamples).map((row) => row.name);
    if (comparable.length < 2 || testExamples === 0)
      return rows.length < 2
        ? []
        : [
            {
              task,
              trainExamples,
              testExamples,
              measure,
              methods: [],
              unpaired,
              otherSplit,
            },
          ];
    const ranked = [...comparable].sort(
      (a, b) => mean(b.correct) - mean(a.correct) || byServingCost(a.serving, b.serving),
    );
    const [best, ...others] = ranked;
    const tests = others.map((other) => pairedBootstrap(best.correct, other.correct, { seed: 0 }));
    const adjusted = holm(others.map((other) => mcnemarExact(best.correct, other.correct)));
    return [
      {
        task,
        trainExamples,
        testExamples,
        measure,
        methods: ranked.map((row, index) => ({
          name: row.name,
          ...(row.method !== undefined && { method: row.method }),
          ...(row.transferred && { transferred: true }),
          accuracy: mean(row.correct),
          ...(row.serving && {
            serving: {
              bytesPerTask: row.serving.bytesPerTask,
              extraMultiplyAddsPerToken: row.serving.extraMultiplyAddsPerToken,
              sharesModel: row.serving.sharesModel,
            },
          }),
          interval: scoreInterval(row.correct),
          ...(index > 0 && {
            difference: {
              value: tests[index - 1].difference,
              interval: tests[index - 1].interval,
              pValue: adjusted[index - 1],
              clearlyWorse: adjusted[index - 1] < 0.05,
            },
          }),
        })),
        // the best and those not clearly below it, the cheapest to serve first
        pick: [best, ...others.filter((_, index) => adjusted[index] >= 0.05)].sort((a, b) =>
          byServingCost(a.serving, b.serving),
        )[0].name,
        unpaired,
        otherSplit,
      },
    ];
  });
}

/**
 * Holm's step-down adjustment: the smallest p-value times n, the next times n - 1, and so on, each at
 * least the one before, capped at 1. Rejecting where adjusted p < alpha holds the chance of any false
 * "clearly worse" among them to alpha.
 */
export function holm(pValues: number[]): number[] {
  const order = pValues.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const adjusted = new Array<number>(pValues.length);
  let running = 0;
  order.forEach(({ value, index }, rank) => {
    running = Math.max(running, Math.min(1, value * (pValues.length - rank)));
    adjusted[index] = running;
  });
  return adjusted;
}

const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;

/** A p-value to two significant digits; below 0.001 as such. */
export const formatP = (value: number) => (value < 0.001 ? '< 0.001' : value.toPrecision(2));

/** An interval to three decimals: "[0.851, 0.934]". */
export const formatInterval = ([low, high]: [number, number]) => `[${low.toFixed(3)}, ${high.toFixed(3)}]`;

/** The rows of a standing not clearly below its best (they may be as good), by name. */
export const notClearlyBelow = (standing: Pick<TaskStanding, 'methods'>): string[] =>
  standing.methods.filter((method) => method.difference?.clearlyWorse === false).map((method) => method.name);

/** The rows of the best's accuracy after it (ranked below it as dearer to serve), by name. */
export const tiedWithBest = (standing: Pick<TaskStanding, 'methods'>): string[] =>
  standing.methods
    .slice(1)
    .filter((method) => method.difference?.value === 0 && method.accuracy === standing.methods[0].accuracy)
    .map((method) => method.name);

/**
 * What to pick, in words: the cheapest to serve of the rows not clearly below the best, and, when the
 * frozen model is among them, that no method is shown to beat it on these test examples.
 */
export function pickLines(standing: Pick<TaskStanding, 'methods' | 'pick' | 'testExamples'>): string[] {
  const close = notClearlyBelow(standing);
  if (!standing.pick) return [];
  const frozenClose = close.includes(FROZEN) || standing.methods[0]?.name === FROZEN;
  // a cheaper row may still be behind the best: its gap is said beside it
  const picked = standing.methods.find((method) => method.name === standing.pick);
  const gap = picked?.difference
    ? ` (${signedInterval(picked.difference.value, picked.difference.interval)} from the best)`
    : '';
  return [
    ...(close.length
      ? [`Cheapest to serve of the best and those not clearly below it: ${standing.pick}${gap}.`]
      : []),
    ...(frozenClose
      ? [
          `No method is shown to beat the frozen model on ${standing.testExamples} test examples: a larger test split would tell smaller differences apart.`,
        ]
      : []),
  ];
}

/** A difference with its interval, signs written: "−0.300 [−0.365, −0.235]". */
export const signedInterval = (value: number, [low, high]: [number, number]) =>
  `${signed(value)} [${signed(low)}, ${signed(high)}]`;

/** Why rows were not tested, each "(why): their names": compare-methods' lines and its page say them. */
export function untestedNotes(standing: Pick<TaskStanding, 'unpaired' | 'otherSplit'>): string[] {
  const note = (why: string, names: string[]) =>
    names.length ? [`(${why}; --no-resume measures again): ${names.join(', ')}`] : [];
  return [
    ...note('measured before per-example results were kept', standing.unpaired),
    ...note('measured on another test split than the rest', standing.otherSplit),
  ];
}

/** A task's standing in lines of text, as compare-methods prints them under its table. */
export function standingLines(standing: TaskStanding): string[] {
  const notes = untestedNotes(standing);
  if (standing.methods.length === 0)
    return notes.map((note) => `${standing.task}: differences not tested ${note}`);
  const [best, ...others] = standing.methods;
  const close = notClearlyBelow(standing);
  const tied = tiedWithBest(standing);
  const lines = [
    `${standing.task}, ${standing.trainExamples} training examples, ${standing.measure} on ${standing.testExamples} test examples: best ${best.name} ${best.accuracy.toFixed(3)} ${formatInterval(best.interval)}${tied.length ? ` (tied with ${tied.join(', ')}; the cheapest to serve of them)` : ''}. ${
      close.length === 0
        ? 'Every other row is clearly below it.'
        : `Not clearly below it: ${close.join(', ')}.`
    }`,
    ...pickLines(standing),
    ...others.map((item) => {
      const difference = item.difference!;
      return `  ${item.name}: ${item.accuracy.toFixed(3)}, ${signedInterval(difference.value, difference.interval)}, p ${formatP(difference.pValue)}${difference.clearlyWorse ? ', clearly below' : ''}`;
    }),
  ];
  return [...lines, ...notes.map((note) => `  not tested ${note}`)];
}
