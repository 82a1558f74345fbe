// The trainer's checkpoint as read back: checkpoint.json (steps, history, settings, the best's scores) and
// the binary file it names (parameters and best as float32, Adam's moments as float64, in the machine's
// byte order; its SHA-256 in the JSON), checked against the run that resumes it before anything is
// written. A checkpoint.json from before the binary file, every number inline, is still read. Writing,
// copying and removing one: checkpoint-write.ts.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseInput, readJsonFile, ValidationError, type InputSource } from '../errors/index.js';
import { checkPromptFinite } from './soft-prompt.js';

/** A saved training state: everything a stopped run needs to continue exactly. */
export interface Checkpoint {
  step: number;
  values: Float32Array;
  optimizer: { step: number; m: Float64Array; v: Float64Array };
  best?: { step: number; exactMatch: number; loss: number; values: Float32Array };
  evaluationsWithoutImprovement: number;
  history: Record<string, number>[];
  settings: string;
}

const count = z.number().int().nonnegative();
const common = {
  step: count,
  evaluationsWithoutImprovement: count,
  history: z.array(z.record(z.string(), z.number())),
  settings: z.string(),
};
const bestScores = { step: count, exactMatch: z.number(), loss: z.number() };
/** A checkpoint's binary file, as checkpoint.json names it (`checkpoint-12-0a1b2c3d.bin`). */
export const binaryName = /^checkpoint-[0-9]+-[0-9a-f]{8}\.bin$/;
/** A binary file, or what a write killed before its rename left of one or of checkpoint.json. */
export const binaryOrLeftover =
  /^(checkpoint-[0-9]+-[0-9a-f]{8}\.bin(\.[0-9]+\.tmp)?|checkpoint\.json\.[0-9]+\.tmp)$/;

/** checkpoint.json as written now: the numbers in the file it names. */
export const binarySchema = z.object({
  ...common,
  optimizer: z.object({ step: count }),
  best: z.object(bestScores).optional(),
  tensors: z.object({
    file: z.string().regex(binaryName, 'expected a name like checkpoint-12-0a1b2c3d.bin'),
    parameters: count,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hexadecimal digits'),
  }),
});

/** Vectors as saved inline: JSON writes NaN and ±Infinity as null, refused afterwards with their index. */
const savedValues = z.array(z.number().nullable());
/** checkpoint.json as written before the binary file. */
const inlineSchema = z.object({
  ...common,
  values: savedValues,
  optimizer: z.object({ step: count, m: z.array(z.number()), v: z.array(z.number()) }),
  best: z.object({ ...bestScores, values: savedValues }).optional(),
});

export const checkpointHint =
  'The checkpoint is damaged; train into another --out folder, or delete this folder to train from the start.';
export const jsonName = 'checkpoint.json';

/** Whether `directory` holds a checkpoint (its JSON: the binary file is written before it). */
export const hasCheckpoint = (directory: string): boolean => existsSync(join(directory, jsonName));

/** The sections of the binary file, in order: each a typed array of `parameters` values. */
export function sections(checkpoint: Pick<Checkpoint, 'values' | 'optimizer' | 'best'>): ArrayBufferView[] {
  const { values, optimizer, best } = checkpoint;
  return [values, optimizer.m, optimizer.v, ...(best ? [best.values] : [])];
}

/** The typed arrays' bytes in pieces small enough for one write (and one hash update). */
export function* pieces(arrays: ArrayBufferView[]): Generator<Uint8Array> {
  const piece = 64 * 1024 * 1024;
  for (const array of arrays)
    for (let start = 0; start < array.byteLength; start += piece)
      yield new Uint8Array(array.buffer, array.byteOffset + start, Math.min(piece, array.byteLength - start));
}

/**
 * Reads the checkpoint in `directory` and checks it against this run: its settings, the parameters'
 * count, and its own consistency (moments, history and steps agree; the binary file whole and as hashed;
 * numbers finite). Nothing is written before it passes.
 */
export function readCheckpoint(
  directory: string,
  run: { settings: string; size: number; hiddenSize: number; totalSteps: number },
): Checkpoint {
  const path = join(directory, jsonName);
  const source: InputSource = {
    where: `checkpoint ${path}`,
    code: 'TRAIN_CHECKPOINT_INVALID',
    hint: checkpointHint,
  };
  const raw = readJsonFile(path, z.record(z.string(), z.unknown()), source);
  const { settings, size, hiddenSize, totalSteps } = run;
  // the run's settings and size first, from the JSON: nothing of another run's binary file is read
  const mismatch = (saved: { settings: string }, parameters: number) => {
    const comparable = comparableSettings(saved.settings, settings);
    if (saved.settings === comparable && parameters === size) return;
    const { words, onlyLength, flags } = differences(saved.settings, comparable);
    throw new ValidationError(`${path} belongs to a run with other settings${words}`, {
      code: 'TRAIN_CHECKPOINT_MISMATCH',
      hint: onlyLength
        ? "A run's length is part of it: rerun with the --steps, --epochs and --max-epochs it started with (a run given none of them may grow past its 6 epochs; an --epochs given does not grow) to finish or rescore it, or train another run into another --out folder."
        : flags.length > 0
          ? `Resume with the same options and model (the run's own: ${flags.join(' ')}; a default may have changed since it started), or choose another --out folder.`
          : 'Resume with the same options and model, or choose another --out folder.',
    });
  };
  let saved: Checkpoint;
  if ('tensors' in raw) {
    const binary = parseInput(binarySchema, raw, source);
    mismatch(binary, binary.tensors.parameters);
    saved = fromBinary(directory, binary, source);
  } else {
    const inline = parseInput(inlineSchema, raw, source);
    mismatch(inline, inline.values.length);
    saved = fromInline(inline);
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
    ['best.values', saved.best?.values ?? new Float32Array()],
  ] as const)
    checkPromptFinite(values, hiddenSize, `checkpoint ${path}: field ${field}`, { hint: checkpointHint });
  for (const [field, moments] of [
    ['optimizer.m', saved.optimizer.m],
    ['optimizer.v', saved.optimizer.v],
  ] as const) {
    const index = moments.findIndex(
      (value) => !Number.isFinite(value) || (field === 'optimizer.v' && value < 0),
    );
    if (index >= 0) throw inconsistent(`field ${field}: value ${index} is ${moments[index]}`);
  }
  return saved;
}

/** A checkpoint written before the binary file: its arrays as typed arrays (null, saved for NaN, as NaN). */
function fromInline(saved: z.output<typeof inlineSchema>): Checkpoint {
  const floats = (values: (number | null)[]) => Float32Array.from(values, (value) => value ?? NaN);
  return {
    ...saved,
    values: floats(saved.values),
    optimizer: {
      step: saved.optimizer.step,
      m: Float64Array.from(saved.optimizer.m),
      v: Float64Array.from(saved.optimizer.v),
    },
    best: saved.best && { ...saved.best, values: floats(saved.best.values) },
  };
}

/** Reads the binary file `saved` names into typed arrays, refusing one of another size or hash. */
function fromBinary(
  directory: string,
  saved: z.output<typeof binarySchema>,
  source: InputSource,
): Checkpoint {
  const { tensors, ...rest } = saved;
  const { file, parameters, sha256 } = tensors;
  const path = join(directory, file);
  // named as the JSON that names it, then the file: `checkpoint /run/checkpoint.json: checkpoint-8-….bin …`
  const damaged = (what: string) =>
    new ValidationError(`${source.where}: ${file} ${what}`, {
      code: 'TRAIN_CHECKPOINT_INVALID',
      hint: source.hint,
    });
  if (!existsSync(path)) throw damaged('is missing');
  const bytesPerParameter = 4 + 8 + 8 + (rest.best ? 4 : 0);
  const expected = parameters * bytesPerParameter;
  const descriptor = openSync(path, 'r');
  try {
    // the size before anything is allocated for it
    const { size } = fstatSync(descriptor);
    if (size !== expected)
      throw damaged(
        `holds ${size} bytes; ${parameters} parameters${rest.best ? ' and the best' : ''} take ${expected}`,
      );
    const checkpoint: Checkpoint = {
      ...rest,
      values: new Float32Array(parameters),
      optimizer: {
        step: rest.optimizer.step,
        m: new Float64Array(parameters),
        v: new Float64Array(parameters),
      },
      best: rest.best && { ...rest.best, values: new Float32Array(parameters) },
    };
    const hash = createHash('sha256');
    let position = 0;
    for (const bytes of pieces(sections(checkpoint))) {
      for (let done = 0; done < bytes.length;) {
        const read = readSync(descriptor, bytes, done, bytes.length - done, position + done);
        if (read === 0) throw damaged(`ended at byte ${position + done}`);
        done += read;
      }
      hash.update(bytes);
      position += bytes.length;
    }
    if (hash.digest('hex') !== sha256) throw damaged(`does not have the SHA-256 ${jsonName} records`);
    return checkpoint;
  } finally {
    closeSync(descriptor);
  }
}

/**
 * The run's settings as a checkpoint written before they named the examples and the method's options
 * (`data`, `run`), or the query and key order, would hold them: such a checkpoint still resumes, checked
 * as it was then.
 */
function comparableSettings(saved: string, current: string): string {
  if (!saved.includes('"data":')) {
    const { data: _data, run: _run, ...earlier } = JSON.parse(current) as Record<string, unknown>;
    return JSON.stringify(earlier);
  }
  // nor the order of a llama's query and key values, recorded since 2026-12-05: such a checkpoint resumes
  // unchecked, as it did (on the model file it began on, it is right)
  const parsed = JSON.parse(current) as { run?: Record<string, unknown> };
  const savedRun = (JSON.parse(saved) as { run?: Record<string, unknown> }).run;
  if (parsed.run?.queryKeyOrder === undefined || savedRun?.queryKeyOrder !== undefined) return current;
  delete parsed.run.queryKeyOrder;
  return JSON.stringify(parsed);
}

/** The settings' names as a user knows them (the command's flags), where they differ. */
const settingWords: Record<string, string> = {
  data: 'the examples',
  run: "the method's options",
  totalSteps: 'steps',
  maxSteps: 'most steps (growing while dev improves)',
  evalEvery: 'dev every',
  batchSize: 'batch size',
  n: 'prompt rows',
  train: 'training examples',
  dev: 'dev examples',
  learningRate: 'learning rate',
  weightDecay: 'weight decay',
  // a llama's GGUF file runs its query and key rows interleaved, its Hugging Face copy rotate-half
  queryKeyOrder:
    "the model file's query and key order (a llama's GGUF or llama2.c file, or its Hugging Face copy)",
};

/** A setting's value, short: a digest or a long list is not worth printing whole. */
function shortValue(value: unknown): string {
  // a list kept as lines (the task names) reads as a list, not as line breaks in the message
  const text =
    value === undefined
      ? 'none'
      : typeof value === 'string'
        ? value.split('\n').join(', ')
        : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Where two plain objects' values differ: [name, before, after], one level into nested objects. */
function changedSettings(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): [string, unknown, unknown][] {
  const changes: [string, unknown, unknown][] = [];
  const plain = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [was, is] = [before[name], after[name]];
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    if (plain(was) && plain(is))
      for (const [inner, innerWas, innerIs] of changedSettings(was, is))
        changes.push([`${settingWords[name] ?? name}: ${settingWords[inner] ?? inner}`, innerWas, innerIs]);
    else changes.push([name, was, is]);
  }
  return changes;
}

/**
 * What two runs' settings differ in, for the mismatch's message: ` (steps 20 → 30; the method's options:
 * layout peft → bos-first)`, the examples named but not their digests, or nothing; and whether only the
 * run's length differs (a rerun asking for more steps).
 */
function differences(
  saved: string,
  current: string,
): { words: string; onlyLength: boolean; flags: string[] } {
  let before: Record<string, unknown>;
  let after: Record<string, unknown>;
  try {
    before = JSON.parse(saved) as Record<string, unknown>;
    after = JSON.parse(current) as Record<string, unknown>;
  } catch {
    return { words: '', onlyLength: false, flags: [] };
  }
  const method = (settings: Record<string, unknown>) => {
    const run = (settings.run ?? {}) as Record<string, unknown>;
    const multitask = settings.tasks !== undefined || settings.taskNames !== undefined;
    return String(run.method ?? (multitask ? 'multitask-prompt-tuning' : 'prompt-tuning'));
  };
  // another method differs in everything after it: the method is what to say
  if (method(before) !== method(after))
    return { words: ` (a ${method(before)} run, not ${method(after)})`, onlyLength: false, flags: [] };
  const changed = changedSettings(before, after);
  const onlyLength =
    changed.length > 0 && changed.every(([name]) => name === 'totalSteps' || name === 'maxSteps');
  // a prompt's virtual tokens are also its shape's rows, and a method's option (LoRA's rank) may also be
  // a setting of its own: each named once
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const named = (changed.length > 1 ? changed.filter(([name]) => name !== 'n') : changed).filter(
    ([name, was, is]) =>
      !name.startsWith(`${settingWords.run}: `) ||
      !changed.some(
        ([other, otherWas, otherIs]) =>
          other === name.slice(settingWords.run.length + 2) && same(otherWas, was) && same(otherIs, is),
      ),
  );
  const changes = named.map(([name, was, is]) =>
    name === 'data'
      ? settingWords.data
      : `${settingWords[name] ?? name} ${shortValue(was)} → ${shortValue(is)}`,
  );
  const shown = changes.slice(0, 6).join('; ');
  const more = changes.length > 6 ? `; and ${changes.length - 6} more` : '';
  // the run's own values as flags: a default changed by an upgrade since it started is given back so
  const flags = named.flatMap(([name, was]) =>
    name in settingFlags && (typeof was === 'number' || typeof was === 'string')
      ? [`${settingFlags[name]} ${was}`]
      : [],
  );
  return { words: changes.length ? ` (${shown}${more})` : '', onlyLength, flags };
}

/** The soft train flag of a setting a run records, where one sets it alone. */
const settingFlags: Record<string, string> = {
  evalEvery: '--eval-every',
  batchSize: '--batch-size',
  learningRate: '--lr',
  weightDecay: '--weight-decay',
};
