// Export and import of one task's registry content as a self-contained JSON bundle: the spec, every
// version with its lineage, the labels, and the datasets with their bytes (base64). Ids are content
// hashes, so importing into another registry reproduces the same versions.
import { PermissionError, ValidationError } from '../errors/index.js';
import type { TaskSpec } from '../tasks/spec.js';
import { contentHash } from './canonical.js';
import { protectedByDefault, type Actor, type PromptVersion, type Registry } from './registry.js';

/** The exported form of a task. */
export interface RegistryBundle {
  format: 'promptune-registry';
  version: 1;
  task: TaskSpec;
  versions: PromptVersion[];
  labels: { label: string; version: string; protected: boolean }[];
  datasets: { split: string; name: string; rows: number; bytes: string }[];
  blobs: Record<string, string>;
}

/** Everything the registry holds for `task`. */
export async function exportTask(registry: Registry, task: string): Promise<RegistryBundle> {
  const versions = await registry.listVersions(task);
  const datasets = await registry.listDatasets(task);
  // soft versions point at their adapter tensor by blob hash
  const blobIds = versions.flatMap((version) =>
    typeof version.content.adapterBlob === 'string' ? [version.content.adapterBlob] : [],
  );
  const blobs: Record<string, string> = {};
  for (const id of blobIds) blobs[id] = Buffer.from(await registry.getBlob(id)).toString('base64');
  return {
    format: 'promptune-registry',
    version: 1,
    task: await registry.getTask(task),
    versions,
    labels: (await registry.listLabels(task)).map(({ label, version, protected: isProtected }) => ({
      label,
      version,
      protected: isProtected,
    })),
    datasets: await Promise.all(
      datasets.map(async (dataset) => ({
        split: dataset.split,
        name: dataset.name,
        rows: dataset.rows,
        bytes: Buffer.from(await registry.getBlob(dataset.blob)).toString('base64'),
      })),
    ),
    blobs,
  };
}

/**
 * Loads a bundle in one transaction: versions keep their ids; labels are set (and logged) as moves by
 * `actor`. A bundle with a tampered version or protected labels the actor may not set is refused before
 * any write; one that fails later writes nothing.
 */
export async function importBundle(
  registry: Registry,
  bundle: RegistryBundle,
  actor: Actor,
): Promise<{ created: number; existing: number }> {
  if (bundle?.format !== 'promptune-registry' || bundle.version !== 1) {
    throw new ValidationError('not a promptune registry export (format promptune-registry, version 1)', {
      code: 'REGISTRY_BAD_BUNDLE',
      hint: 'Import a file written by promptune registry export.',
    });
  }
  // check everything that can fail before writing anything, so a refused import leaves no trace
  for (const version of bundle.versions) {
    if (
      contentHash({ task: bundle.task.name, kind: version.kind, content: version.content }) !== version.id
    ) {
      throw new ValidationError(
        `version ${version.number} of the bundle hashes to another id than ${version.id}`,
        { code: 'REGISTRY_BAD_BUNDLE', hint: 'The bundle was edited or corrupted; export it again.' },
      );
    }
  }
  if (
    bundle.labels.some((label) => label.protected || protectedByDefault.has(label.label)) &&
    !actor.scopes.includes('admin')
  ) {
    throw new PermissionError('the bundle sets protected labels, which needs the admin scope', {
      code: 'REGISTRY_PROTECTED_LABEL',
      hint: 'Import with an admin key (or --admin on the command line).',
    });
  }
  // one transaction: a bundle that fails half-way (a label naming a version it lacks, a lost
  // connection) leaves the registry as it was
  const created = await registry.transaction(async (target) => {
    await target.putTask(bundle.task);
    for (const bytes of Object.values(bundle.blobs)) await target.putBlob(Buffer.from(bytes, 'base64'));
    let created = 0;
    for (const version of [...bundle.versions].sort((a, b) => a.number - b.number)) {
      const result = await target.pushVersion({
        task: bundle.task.name,
        kind: version.kind,
        content: version.content,
        parent: version.parent ?? undefined,
        run: version.run ?? undefined,
        message: version.message,
        actor,
      });
      if (result.version.id !== version.id) {
        throw new ValidationError(
          `version ${version.number} of the bundle hashes to ${result.version.id}, not ${version.id}`,
          { code: 'REGISTRY_BAD_BUNDLE', hint: 'The bundle was edited or corrupted; export it again.' },
        );
      }
      if (result.created) created++;
    }
    for (const label of bundle.labels)
      await target.setLabel({
        task: bundle.task.name,
        label: label.label,
        reference: label.version,
        actor,
        reason: 'import',
        protect: label.protected,
      });
    for (const dataset of bundle.datasets)
      await target.putDataset({
        task: bundle.task.name,
        split: dataset.split,
        name: dataset.name,
        rows: dataset.rows,
        bytes: Buffer.from(dataset.bytes, 'base64'),
      });
    return created;
  });
  return { created, existing: bundle.versions.length - created };
}
