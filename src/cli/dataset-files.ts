// Writing a stored dataset version as files (<folder>/<split>.jsonl, atomically), for `dataset pull` and
// `review dataset --out`; `soft train --data`, `eval` and `optimize` read the folder as they read any.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../engine/index.js';
import type { DatasetVersion, Registry } from '../registry/index.js';

/** Writes each split of `version` to `folder`; returns the files written. */
export async function writeDatasetVersion(
  registry: Registry,
  version: DatasetVersion,
  folder: string,
): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const stored = await registry.listDatasets(version.task);
  const written: string[] = [];
  for (const [split, id] of Object.entries(version.splits)) {
    const dataset = stored.find((candidate) => candidate.id === id)!;
    const path = join(folder, `${split}${dataset.name.endsWith('.csv') ? '.csv' : '.jsonl'}`);
    writeFileAtomically(path, await registry.getBlob(dataset.blob));
    written.push(path);
  }
  return written;
}
