// The trainer's checkpoint.json: its schema, and a reader that checks a checkpoint against the run
// that resumes it (settings, sizes, its own consistency, finite vectors) before anything is written.
// Writing it is the trainer's (atomically, with the engine's writeFileAtomically).
import { z } from 'zod';
import { readJsonFile, ValidationError } from '../errors/index.js';
import { checkPromptFinite } from './soft-prompt.js';

const count = z.number().int().nonnegative();
/** Prompt vectors as saved: JSON writes NaN and ±Infinity as null, refused afterwards with their index. */
const savedValues = z.array(z.number().nullable());

/** checkpoint.json: everything a stopped run needs to continue exactly. */
const checkpointSchema = z.object({
  step: count,
  values: savedValues,
  optimizer: z.object({ step: count, m: z.array(z.number()), v: z.array(z.number()) }),
  best: z.object({ step: count, exactMatch: z.number(), loss: z.number(), values: savedValues }).optional(),
  evaluationsWithoutImprovement: count,
  history: z.array(z.record(z.string(), z.number())),
  settings: z.string(),
});

/** A saved training state. */
export type Checkpoint = z.output<typeof checkpointSchema>;

const checkpointHint =
  'checkpoint.json is damaged; delete it to train from the start, or choose another --out folder.';

/**
 * Reads checkpoint.json and checks it against this run: its settings, the prompt's size, and its own
 * consistency (moments, history and steps agree; vectors finite). Nothing is written before it passes.
 */
export function readCheckpoint(
  path: string,
  run: { settings: string; size: number; hiddenSize: number; totalSteps: number },
): Checkpoint {
  const { settings, size, hiddenSize, totalSteps } = run;
  const saved = readJsonFile(path, checkpointSchema, {
    where: `checkpoint ${path}`,
    code: 'TRAIN_CHECKPOINT_INVALID',
    hint: checkpointHint,
  });
  if (saved.settings !== settings || saved.values.length !== size) {
    throw new ValidationError(`${path} belongs to a run with other settings`, {
      code: 'TRAIN_CHECKPOINT_MISMATCH',
      hint: 'Resume with the same options and model, or choose another --out folder.',
    });
  }
  const inconsistent = (what: string) =>
    new ValidationError(`checkpoint ${path}: ${what}`, {
      code: 'TRAIN_CHECKPOINT_INVALID',
      hint: checkpointHint,
    });
  for (const [field, length] of [
    ['optimizer.m', saved.optimizer.m.length],
    ['optimizer.v', saved.optimizer.v.length],
    ['best.values', saved.best?.values.length ?? size],
  ] as const)
    if (length !== size) throw inconsistent(`field ${field} has ${length} values, field values ${size}`);
  if (saved.step > totalSteps)
    throw inconsistent(`field step is ${saved.step}, the run has ${totalSteps} steps`);
  if (saved.optimizer.step !== saved.step || saved.history.length !== saved.step)
    throw inconsistent(
      `field step is ${saved.step}, but the optimizer has taken ${saved.optimizer.step} steps and the history has ${saved.history.length} records`,
    );
  for (const [field, values] of [
    ['values', saved.values],
    ['best.values', saved.best?.values ?? []],
  ] as const)
    checkPromptFinite(
      values.map((value) => value ?? NaN),
      hiddenSize,
      `checkpoint ${path}: field ${field}`,
      { hint: checkpointHint },
    );
  return saved;
}
