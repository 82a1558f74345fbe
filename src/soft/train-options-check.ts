// The training options a library caller passes, checked before any step: each count a whole number in
// its range, the clip norm positive, the schedule one this trainer knows (the optimizer's settings are
// validateOptimizer's). A bad value is refused with TRAIN_OPTIONS naming the option, not run as zero
// steps or reported as missing data.
import { ValidationError } from '../errors/index.js';
import type { Schedule } from './optimizer.js';

interface CheckedOptions {
  epochs?: number;
  maxEpochs?: number;
  steps?: number;
  batchSize?: number;
  schedule?: Schedule;
  clipNorm?: number;
  evalEvery?: number;
  patience?: number;
  seed?: number;
}

const refuse = (option: string, value: unknown, hint: string) =>
  new ValidationError(`training option ${option} is ${JSON.stringify(value) ?? String(value)}`, {
    code: 'TRAIN_OPTIONS',
    hint,
  });

/** Throws TRAIN_OPTIONS for the first option out of its range. */
export function checkTrainOptions(options: CheckedOptions): void {
  const whole = (option: keyof CheckedOptions, minimum: number) => {
    const value = options[option];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= minimum))
      throw refuse(
        option,
        value,
        `Give ${option} as a whole number of at least ${minimum}, or leave it out.`,
      );
  };
  whole('epochs', 1);
  whole('maxEpochs', 1);
  whole('steps', 1);
  whole('batchSize', 1);
  whole('evalEvery', 1);
  whole('patience', 1);
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
    throw refuse('seed', options.seed, 'Give seed as a whole number.');
  if (options.clipNorm !== undefined && !(options.clipNorm > 0 && Number.isFinite(options.clipNorm)))
    throw refuse(
      'clipNorm',
      options.clipNorm,
      'Give clipNorm a positive gradient norm (1.0 is common), or leave it out.',
    );
  const schedule = options.schedule;
  if (schedule !== undefined && schedule.kind !== 'constant' && schedule.kind !== 'cosine')
    throw refuse('schedule.kind', schedule.kind, 'Schedules are constant and cosine.');
  if (
    schedule?.warmupSteps !== undefined &&
    !(Number.isInteger(schedule.warmupSteps) && schedule.warmupSteps >= 0)
  )
    throw refuse(
      'schedule.warmupSteps',
      schedule.warmupSteps,
      'Give warmupSteps a whole number of steps, 0 or more.',
    );
}
