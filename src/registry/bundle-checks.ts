// Everything about a bundle that can be checked without the target registry, with the checks a push
// makes: task specs (taskFromObject), names, version ids against their content hashes, blobs against
// their sha256 keys, soft versions' adapters (as serving loads them), and each dataset's row count. It
// writes nothing; checks that need the target (labels, permissions) run in bundle.ts's transaction.
import { extname } from 'node:path';
import { PromptuneError, ValidationError } from '../errors/index.js';
import { checkAdapterFiles } from '../soft/index.js';
import { parseExamples, taskFromObject, type TaskSpec } from '../tasks/index.js';
import type { BundleInput } from './bundle-schema.js';
import { contentHash } from './canonical.js';
import type { DatasetVersion } from './dataset-versions.js';
import { datasetId } from './registry.js';
import { checkLabelName, legacyVersionId, versionId } from './records.js';
import type { RestoredVersion } from './version-rows.js';

/** A bundle whose contents were checked, decoded and ready to write. */
export interface CheckedBundle {
  /** The task's latest spec, as the bundle holds it. */
  task: TaskSpec;
  /** Every spec a version serves with, by id. */
  specs: Map<string, TaskSpec>;
  /** In the order to import them (by their number in the bundle). */
  versions: RestoredVersion[];
  labels: { label: string; version: string; protected: boolean }[];
  datasets: { split: string; name: string; rows: number; bytes: Uint8Array }[];
  /** The task's dataset versions, oldest first (none in a bundle of format 1 or 2). */
  datasetVersions: BundledDatasetVersion[];
  blobs: Map<string, Uint8Array>;
}

/** A dataset version as a bundle carries it: each split's dataset id is one of the bundle's datasets. */
export type BundledDatasetVersion = Omit<DatasetVersion, 'task'>;

const hint = 'The bundle was edited or corrupted; export it again.';
const refuse = (message: string, cause?: unknown) =>
  new ValidationError(message, { code: 'REGISTRY_BAD_BUNDLE', hint, cause });

/**
 * Checks a bundle's contents against each other; throws the first problem (a task spec's own code, or
 * REGISTRY_BAD_BUNDLE / REGISTRY_BAD_LABEL) naming `where` and the part at fault.
 */
export function checkBundle(bundle: BundleInput, where: string): CheckedBundle {
  // specs are kept as the bundle holds them, so their ids (content hashes) stay those of the source
  const parsed = taskFromObject(bundle.task, `${where}: task spec`).spec;
  const task = bundle.task as TaskSpec;
  const name = parsed.name;
  const specs = new Map<string, TaskSpec>();
  if (bundle.version === 1) specs.set(contentHash(task), task);
  else
    for (const [id, spec] of Object.entries(bundle.specs)) {
      taskFromObject(spec, `${where}: spec ${id.slice(0, 12)}`);
      if (contentHash(spec) !== id) throw refuse(`${where}: spec ${id.slice(0, 12)} hashes to another id`);
      if (spec.name !== name)
        throw refuse(`${where}: spec ${id.slice(0, 12)} is of task "${String(spec.name)}", not "${name}"`);
      specs.set(id, spec as TaskSpec);
    }

  // blobs first: a soft version's adapter is checked from its blob's bytes
  const blobs = new Map<string, Uint8Array>();
  for (const [sha256, base64] of Object.entries(bundle.blobs)) {
    const bytes = Buffer.from(base64, 'base64');
    if (contentHash(bytes) !== sha256)
      throw refuse(`${where}: blob ${sha256.slice(0, 12)} hashes to another sha256`);
    blobs.set(sha256, bytes);
  }

  const versions: RestoredVersion[] = [];
  const ids = new Set<string>();
  for (const version of [...bundle.versions].sort((a, b) => a.number - b.number)) {
    const at = `${where}: version ${version.number} (${version.id.slice(0, 12)})`;
    if (version.task !== name) throw refuse(`${at} is of task "${version.task}", not "${name}"`);
    if (ids.has(version.id)) throw refuse(`${at} appears twice`);
    // an export holds every version of its task, each parent numbered before its child
    if (version.parent !== null && !ids.has(version.parent))
      throw refuse(
        `${at} names parent ${version.parent.slice(0, 12)}, which no earlier version of the bundle is`,
      );
    ids.add(version.id);
    const specId = 'specId' in version ? version.specId : contentHash(task);
    const spec = specs.get(specId);
    if (!spec) throw refuse(`${at} serves with spec ${specId.slice(0, 12)}, which the bundle lacks`);
    // format 1 ids hash task, kind and content; format 2 adds the spec, except for versions made before
    const legacy = legacyVersionId(name, version.kind, version.content);
    const current = versionId(name, version.kind, version.content, specId);
    if (version.id !== legacy && (bundle.version === 1 || version.id !== current))
      throw refuse(`${at} hashes to another id than ${version.id}`);
    if (version.kind === 'hard') checkServable(spec, version.content, at);
    else {
      const blob = String(version.content.adapterBlob);
      if (!/^[0-9a-f]{64}$/.test(blob)) throw refuse(`${at} is a soft prompt without an adapterBlob sha256`);
      const vectors = blobs.get(blob);
      if (!vectors) throw refuse(`${at} names adapter blob ${blob.slice(0, 12)}, which the bundle lacks`);
      // the adapter as serving will load it: config and metadata schemas, tensor shape, finite values
      checkAdapterFiles(
        {
          config: version.content.adapterConfig,
          metadata: version.content.promptune,
          safetensors: vectors,
        },
        `${at}: adapter`,
      );
    }
    versions.push({
      id: version.id,
      task: name,
      kind: version.kind,
      content: version.content,
      parent: version.parent,
      run: version.run,
      message: version.message,
      specId,
      // when it was made, as the source registry wrote it (ISO 8601 in UTC); any other text, or a time
      // still to come: the import's
      ...(version.createdAt !== undefined &&
        utcTime(version.createdAt) && { createdAt: utcTime(version.createdAt) }),
    });
  }

  const labels = new Set<string>();
  for (const [index, label] of bundle.labels.entries()) {
    checkLabelName(label.label, `${where}: labels.${index}: `);
    if (labels.has(label.label)) throw refuse(`${where}: label ${label.label} appears twice`);
    labels.add(label.label);
  }

  const datasets = bundle.datasets.map((dataset, index) => {
    const bytes = Buffer.from(dataset.bytes, 'base64');
    const at = `${where}: datasets.${index} (${dataset.split}, ${dataset.name})`;
    const rows = countExamples(parsed, bytes, dataset.name, at);
    if (rows !== dataset.rows) throw refuse(`${at} says ${dataset.rows} rows, and its bytes hold ${rows}`);
    return { split: dataset.split, name: dataset.name, rows, bytes };
  });
  const datasetVersions = 'datasetVersions' in bundle ? bundle.datasetVersions : [];
  const datasetIds = new Map<string, Set<string>>();
  for (const dataset of datasets)
    datasetIds.set(
      dataset.split,
      (datasetIds.get(dataset.split) ?? new Set()).add(datasetId(name, dataset.split, dataset.bytes)),
    );
  checkDatasetVersions(datasetVersions, datasetIds, where);
  return { task, specs, versions, labels: bundle.labels, datasets, datasetVersions, blobs };
}

/**
 * Refuses dataset versions out of order (numbers rising from 1, each parent an earlier one) or naming a
 * dataset the bundle does not hold for that split (`datasetIds`: the bundle's dataset ids by split).
 */
function checkDatasetVersions(
  versions: readonly BundledDatasetVersion[],
  datasetIds: ReadonlyMap<string, ReadonlySet<string>>,
  where: string,
): void {
  for (const [index, version] of versions.entries()) {
    const at = `${where}: datasetVersions.${index} (number ${version.number})`;
    if (version.number !== index + 1) throw refuse(`${at} is not number ${index + 1}`);
    if (version.parent !== null && version.parent >= version.number)
      throw refuse(`${at} names a later parent, ${version.parent}`);
    if (Object.keys(version.splits).length === 0) throw refuse(`${at} names no split`);
    for (const [split, id] of Object.entries(version.splits))
      if (!datasetIds.get(split)?.has(id))
        throw refuse(
          `${at}: its ${split} split, dataset ${id}, is not one of the bundle's ${split} datasets`,
        );
  }
}

/** Clocks of two machines may disagree by this much: a time this far ahead is not yet to come. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * `text` as registries write times (ISO 8601 in UTC, to the millisecond), when it is one in UTC and
 * not still to come.
 */
function utcTime(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(text)) return undefined;
  const time = new Date(text);
  // a date the calendar lacks (30 February) is read as another: refused, not moved
  return !Number.isNaN(time.getTime()) &&
    time.toISOString().slice(0, 19) === text.slice(0, 19) &&
    time.getTime() <= Date.now() + CLOCK_SKEW_MS
    ? time.toISOString()
    : undefined;
}

/** A hard version must make a valid spec with the spec it serves with, as the service will build it. */
function checkServable(spec: TaskSpec, content: Record<string, unknown>, at: string): void {
  taskFromObject(
    {
      ...spec,
      prompt: {
        system: content.system,
        template: content.template,
        demos: content.demos,
        demoSeparator: content.demoSeparator,
      },
      generation: content.generation ?? spec.generation,
    },
    `${at} with its spec`,
  );
}

/** The examples in a dataset's bytes, read as the (parsed) task's data (.csv by its name, else JSONL). */
function countExamples(task: TaskSpec, bytes: Uint8Array, name: string, at: string): number {
  // the name decides the format as a file's does: .csv, else JSONL
  const path = extname(name).toLowerCase() === '.csv' ? `${name.slice(0, -4)}.csv` : name;
  try {
    // only the rows are counted: the data may hold other fields than the latest spec's (a spec changed
    // since, or soft-prompt data named by the trainer's --input-field)
    const rowsOnly = { inputFields: [], targetField: task.data.targetField, targetOptional: true };
    return parseExamples(bytes, path, rowsOnly).length;
  } catch (error) {
    if (!PromptuneError.isInstance(error)) throw error;
    throw refuse(`${at} is not the task's data: ${error.message}`, error);
  }
}
