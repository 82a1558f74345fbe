// The training options a library caller passes, checked before any step: each count a whole number in
// its range, each rate and norm positive, the optimizer and schedule ones this trainer knows. A bad value
// is refused with TRAIN_OPTIONS naming the option, not run as zero steps or reported as missing data.
import { ValidationError } from '../errors/index.js';
import type { OptimizerOptions, Schedule } from './optimizer.js';

interface CheckedOptions {
  epochs?: number;
  maxEpochs?: number;
  steps?: number;
  batchSize?: number;
  optimizer?: OptimizerOptions;
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
  const optimizer = options.optimizer;
  if (optimizer !== undefined && optimizer.kind !== 'adam' && optimizer.kind !== 'adamw')
    throw refuse('optimizer.kind', optimizer.kind, "The trainer's optimizers are adam and adamw.");
  for (const name of ['beta1', 'beta2'] as const) {
    const beta = optimizer?.[name];
    if (beta !== undefined && !(beta >= 0 && beta < 1))
      throw refuse(`optimizer.${name}`, beta, `Give ${name} in [0, 1) (Adam's defaults: 0.9 and 0.999).`);
  }
  if (optimizer?.eps !== undefined && !(optimizer.eps > 0))
    throw refuse('optimizer.eps', optimizer.eps, 'Give eps a small positive number (1e-8).');
  if (optimizer?.weightDecay !== undefined && !(optimizer.weightDecay >= 0))
    throw refuse('optimizer.weightDecay', optimizer.weightDecay, 'Give weightDecay 0 or more.');
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
