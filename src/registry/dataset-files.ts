// Writing a stored dataset version as files (<folder>/<split>.jsonl, atomically), for `dataset pull` and
// `review dataset --out` and the closed loop; `soft train --data`, `eval` and `optimize` read the folder as they read any.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically, makeDirectory } from '../engine/index.js';
import { ValidationError } from '../errors/index.js';
import type { DatasetVersion } from './dataset-versions.js';
import type { Registry } from './registry.js';

/** Writes each split of `version` to `folder`; returns the files written. */
export async function writeDatasetVersion(
  registry: Registry,
  version: DatasetVersion,
  folder: string,
): Promise<string[]> {
  const stored = await registry.listDatasets(version.task);
  const names = Object.entries(version.splits).map(([split, id]) => {
    const dataset = stored.find((candidate) => candidate.id === id)!;
    return `${split}${dataset.name.endsWith('.csv') ? '.csv' : '.jsonl'}`;
  });
  // a split file of another version left in the folder would be read with this one (--data)
  const stale = existsSync(folder)
    ? readdirSync(folder).filter(
        (name) => /^(train|dev|test|file)\.(jsonl|csv)$/.test(name) && !names.includes(name),
      )
    : [];
  if (stale.length > 0)
    throw new ValidationError(
      `${folder} holds ${stale.join(', ')}, which version ${version.number} does not have`,
      {
        code: 'DATASET_FOLDER_STALE',
        hint: 'Write the version into an empty folder (or remove those files).',
      },
    );
  return writeDatasetSplits(registry, version.task, version.splits, folder, stored);
}

/**
 * Writes the stored datasets `splits` names (split → dataset id, as a version's run records them) to
 * `folder` as <split>.jsonl or .csv; a dataset the task does not hold is skipped. Returns the files.
 */
export async function writeDatasetSplits(
  registry: Registry,
  task: string,
  splits: Record<string, string>,
  folder: string,
  stored?: Awaited<ReturnType<Registry['listDatasets']>>,
): Promise<string[]> {
  const datasets = stored ?? (await registry.listDatasets(task));
  makeDirectory(folder);
  const written: string[] = [];
  for (const [split, id] of Object.entries(splits)) {
    const dataset = datasets.find((candidate) => candidate.id === id);
    if (!dataset) continue;
    const path = join(folder, `${split}${dataset.name.endsWith('.csv') ? '.csv' : '.jsonl'}`);
    writeFileAtomically(path, await registry.getBlob(dataset.blob));
    written.push(path);
  }
  return written;
}
