// A queue's reviewed items become rows of a new version of its task's dataset. Each row keeps its input
// fields, the agreed target and its provenance (queue, item, trace, reviewers, time). The split a row
// goes to follows a seeded hash of its input, so an input lands in the same split in every version and
// never in train in one and test in another; by default rows go to train and dev only, keeping the test
// split the curated one scores compare across versions on. Rows whose input the base version already
// holds are left out (counted; with another target, held as conflicts), and so are items without an
// agreed target. It writes the registry, not files (promptune dataset pull does that).
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors/index.js';
import { canonicalJson, type DatasetVersion, type Registry } from '../registry/index.js';
import { exampleShape, parseExamples, seededSplit, type ExampleShape } from '../tasks/index.js';
import { inputKey } from './input-key.js';
import { resolveItems, type HeldReason } from './resolve-items.js';

/** The field of a row that says where it came from. */
export const provenanceField = 'provenance';

/** How a queue's corrections become a dataset version. */
export interface CorrectionsOptions {
  /** The version the rows are added to (default: the task's latest). */
  base?: number;
  /** Share of new rows per split (normalized; default train 0.8, dev 0.2: test stays as curated). */
  splits?: Record<string, number>;
  /** Seed of the split rule (default 0). */
  seed?: number;
  actor: string;
}

/** What a queue's corrections added, and what they held back. */
export interface CorrectionsResult {
  /** The version written, or (`created` false) the one that already holds these rows. */
  version: DatasetVersion;
  /** Whether this call wrote a new version (false: nothing new, or the same rows were written before). */
  created: boolean;
  /** New rows by split. */
  added: Record<string, number>;
  /** Reviewed rows the base version already had with the same target. */
  duplicates: number;
  /**
   * Items that gave no row, with why (`conflict`: the dataset has the input with another target;
   * `unreadable-input`: the item's input lacks the task's fields).
   */
  held: { item: string; reason: HeldReason | 'conflict' | 'unreadable-input' }[];
}

/** What writing a queue's corrections now would add, without writing them. */
export interface PendingCorrections {
  /** The dataset version the rows would be added to. */
  base: number;
  added: Record<string, number>;
  duplicates: number;
  held: CorrectionsResult['held'];
}

const defaultSplits = { train: 0.8, dev: 0.2 };

/** Carries a preview out of the transaction it rolls back. */
class PreviewRollback extends Error {
  constructor(readonly pending: PendingCorrections) {
    super('preview');
  }
}

/**
 * What correctionsToDataset would add now: the same work in a transaction that is rolled back, so the
 * count is exactly what a write would give (the closed loop's trigger and its dry run read it).
 */
export async function pendingCorrections(
  registry: Registry,
  queueName: string,
  options: CorrectionsOptions,
): Promise<PendingCorrections> {
  try {
    await writeCorrections(registry, queueName, options, true);
  } catch (error) {
    if (error instanceof PreviewRollback) return error.pending;
    throw error;
  }
  // unreachable: the preview always rolls back
  throw new ValidationError(`the preview of queue ${queueName}'s corrections did not roll back`, {
    code: 'REVIEW_PREVIEW_WRITTEN',
    hint: 'Count pending corrections outside a transaction of your own.',
  });
}

/** The split an input goes to: a seeded hash of its fields against the cumulative shares. */
export function splitOf(fields: Record<string, unknown>, splits: Record<string, number>, seed = 0): string {
  const entries = Object.entries(splits).filter(([, share]) => share > 0);
  const total = entries.reduce((sum, [, share]) => sum + share, 0);
  const digest = createHash('sha256')
    .update(`${seed}:${canonicalJson(fields)}`)
    .digest();
  const position = (digest.readUInt32BE(0) / 2 ** 32) * total;
  let reached = 0;
  for (const [split, share] of entries) {
    reached += share;
    if (position < reached) return split;
  }
  return entries[entries.length - 1][0];
}

function checkSplits(splits: Record<string, number>): Record<string, number> {
  const entries = Object.entries(splits);
  if (entries.some(([, share]) => !Number.isFinite(share) || share < 0) || !entries.some(([, s]) => s > 0))
    throw new ValidationError(`split shares ${JSON.stringify(splits)}`, {
      code: 'REVIEW_INVALID',
      hint: 'Give non-negative shares with at least one above zero, e.g. train=0.8,dev=0.2.',
    });
  return splits;
}

/** Writes the queue's agreed corrections as the next version of its task's dataset. */
export function correctionsToDataset(
  registry: Registry,
  queueName: string,
  options: CorrectionsOptions,
): Promise<CorrectionsResult> {
  return writeCorrections(registry, queueName, options, false);
}

/** Writes the corrections, or (`preview`) does the same work and rolls it back with PreviewRollback. */
async function writeCorrections(
  registry: Registry,
  queueName: string,
  options: CorrectionsOptions,
  preview: boolean,
): Promise<CorrectionsResult> {
  const splits = checkSplits(options.splits ?? defaultSplits);
  const queue = await registry.review.getQueue(queueName);
  const spec = await registry.getTask(queue.task);
  const shape = exampleShape(spec);
  if ([...shape.inputFields, shape.targetField].includes(provenanceField))
    throw new ValidationError(`task ${spec.name} has a field named ${provenanceField}`, {
      code: 'REVIEW_INVALID',
      hint: `Rows from review carry their origin in "${provenanceField}"; rename the task's field.`,
    });
  const resolved = resolveItems(
    spec,
    await registry.review.items(queue.name),
    await registry.review.decisions(queue.name),
  );
  return registry.transaction(async (target) => {
    const base = await baseVersion(target, spec.name, options);
    const stored = await target.listDatasets(spec.name);
    const files = new Map<string, { name: string; text: string }>();
    const known = new Map<string, string>(); // input fields -> target, over every split of the base
    const rewritten = new Set<string>(); // splits whose file changes even without new rows
    for (const [split, id] of Object.entries(base.splits)) {
      const dataset = stored.find((candidate) => candidate.id === id)!;
      const bytes = await target.getBlob(dataset.blob);
      const examples = parseExamples(bytes, dataset.name, shape);
      for (const example of examples) known.set(inputKey(example.fields), canonicalJson(example.target));
      if (split !== 'file') {
        files.set(split, { name: dataset.name, text: asJsonLines(bytes, dataset.name, examples, shape) });
        continue;
      }
      // one file the spec splits by seeded ratios: the version gets its train, dev and test files,
      // exactly the splits the task reads from it
      if (!spec.data.split)
        throw new ValidationError(`the base version of ${spec.name} is one file with no split ratios`, {
          code: 'REVIEW_INVALID',
          hint: 'Give the task data.split ratios (or train, dev and test files) and push it again.',
        });
      const { seed, train, dev, test } = spec.data.split;
      for (const [name, part] of Object.entries(seededSplit(examples, { train, dev, test }, seed))) {
        files.set(name, { name: `${name}.jsonl`, text: examplesAsJsonLines(part, shape) });
        rewritten.add(name);
      }
    }
    const added: Record<string, number> = {};
    const held: CorrectionsResult['held'] = [];
    let duplicates = 0;
    for (const each of resolved) {
      if (each.held) {
        held.push({ item: each.item.id, reason: each.held });
        continue;
      }
      const fields = inputFields(each.item.input, shape);
      if (!fields) {
        held.push({ item: each.item.id, reason: 'unreadable-input' });
        continue;
      }
      const key = inputKey(fields);
      const seen = known.get(key);
      if (seen !== undefined) {
        if (seen === canonicalJson(each.target)) duplicates++;
        else held.push({ item: each.item.id, reason: 'conflict' });
        continue;
      }
      known.set(key, canonicalJson(each.target));
      const split = splitOf(fields, splits, options.seed);
      const row = {
        ...fields,
        [shape.targetField]: each.target,
        [provenanceField]: {
          queue: queue.name,
          item: each.item.id,
          trace: each.item.traceId,
          reviewers: each.reviewers,
          decidedAt: new Date(each.decidedAt).toISOString(),
        },
      };
      const file = files.get(split) ?? files.set(split, { name: '', text: '' }).get(split)!;
      file.text += `${JSON.stringify(row)}\n`;
      added[split] = (added[split] ?? 0) + 1;
    }
    if (preview) throw new PreviewRollback({ base: base.number, added, duplicates, held });
    const next = { ...base.splits };
    if (rewritten.size > 0) delete next.file;
    for (const split of new Set([...rewritten, ...Object.keys(added)])) {
      const bytes = new TextEncoder().encode(files.get(split)!.text);
      if (bytes.length === 0) continue; // a split the ratios leave empty
      next[split] = await target.putDataset({
        task: spec.name,
        split,
        name: `review/${queue.name}/${split}.jsonl`,
        bytes,
        rows: parseExamples(bytes, `${split}.jsonl`, shape).length,
      });
    }
    const total = Object.values(added).reduce((sum, count) => sum + count, 0);
    const latestBefore = (await target.datasetVersions.list(spec.name)).at(-1)?.number ?? 0;
    const version = await target.datasetVersions.add({
      task: spec.name,
      splits: next,
      parent: base.number,
      source: `review:${queue.name}`,
      message: `${total} reviewed rows from queue ${queue.name}`,
      details: { added, duplicates, held: held.length, seed: options.seed ?? 0, shares: splits },
      actor: options.actor,
    });
    return { version, created: version.number > latestBefore, added, duplicates, held };
  });
}

/**
 * The version rows are added to: the one asked for, else the latest; a task whose data was stored before
 * dataset versions existed (or came in a bundle) gets version 1 from the latest stored file of each split.
 */
async function baseVersion(
  registry: Registry,
  task: string,
  options: CorrectionsOptions,
): Promise<DatasetVersion> {
  if (options.base !== undefined || (await registry.datasetVersions.list(task)).length > 0)
    return registry.datasetVersions.get(task, options.base);
  const latest: Record<string, string> = {};
  for (const dataset of await registry.listDatasets(task)) latest[dataset.split] = dataset.id; // oldest first
  if (Object.keys(latest).length === 0)
    throw new ValidationError(`task ${task} has no stored data to add reviewed rows to`, {
      code: 'DATASET_VERSION_NOT_FOUND',
      hint: `Push the task with its data files first (promptune registry push --task <spec>), which makes dataset version 1.`,
    });
  return registry.datasetVersions.add({
    task,
    splits: latest,
    source: 'files',
    message: 'the latest stored file of each split',
    actor: options.actor,
  });
}

/**
 * The item's input as the task's input fields (a lone-field task may have stored its input as text);
 * undefined when a field is missing or empty, as a dataset row cannot be.
 */
function inputFields(input: unknown, shape: ExampleShape): Record<string, unknown> | undefined {
  let fields: Record<string, unknown> | undefined;
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const record = input as Record<string, unknown>;
    if (shape.inputFields.every((field) => Object.hasOwn(record, field)))
      fields = Object.fromEntries(shape.inputFields.map((field) => [field, record[field]]));
  }
  if (!fields && shape.inputFields.length === 1 && typeof input === 'string')
    fields = { [shape.inputFields[0]]: input };
  return fields &&
    Object.values(fields).every((value) => value !== null && value !== undefined && value !== '')
    ? fields
    : undefined;
}

/** A data file's rows as JSON lines: a JSONL file as it is (newline-ended), a CSV one rewritten. */
function asJsonLines(
  bytes: Uint8Array,
  name: string,
  examples: ReturnType<typeof parseExamples>,
  shape: ExampleShape,
): string {
  if (name.endsWith('.csv')) return examplesAsJsonLines(examples, shape);
  const text = new TextDecoder().decode(bytes).replace(/^\uFEFF/, '');
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Examples as JSON lines of their fields and target. */
function examplesAsJsonLines(examples: ReturnType<typeof parseExamples>, shape: ExampleShape): string {
  return examples
    .map((example) => `${JSON.stringify({ ...example.fields, [shape.targetField]: example.target })}\n`)
    .join('');
}
