// Export and import of one task's registry content as a self-contained JSON bundle: the task's latest
// spec and every spec its versions serve with, every version with its lineage, the labels, the
// datasets and blobs with their bytes (base64), and the dataset versions made of them. Ids are content hashes, so importing into another
// registry reproduces the same versions. The format's shape is bundle-schema.ts's, its checks bundle-checks.ts's.
import { ValidationError, PermissionError } from '../errors/index.js';
import type { TaskSpec } from '../tasks/index.js';
import { checkBundle, type BundledDatasetVersion, type CheckedBundle } from './bundle-checks.js';
import { bundleFormatVersion, parseBundle } from './bundle-schema.js';
import { labelIsProtected, type Actor, type PromptVersion } from './records.js';
import type { Registry } from './registry.js';

/** The exported form of a task (format version 3). */
export interface RegistryBundle {
  format: 'promptune-registry';
  version: typeof bundleFormatVersion;
  /** The task's latest spec. */
  task: TaskSpec;
  /** The specs the versions serve with, by id (a version's `specId`). */
  specs: Record<string, TaskSpec>;
  versions: PromptVersion[];
  labels: { label: string; version: string; protected: boolean }[];
  datasets: { split: string; name: string; rows: number; bytes: string }[];
  /** The task's dataset versions, oldest first (each split names one of `datasets` by its id). */
  datasetVersions: BundledDatasetVersion[];
  blobs: Record<string, string>;
}

/** Everything the registry holds for `task`. */
export async function exportTask(registry: Registry, task: string): Promise<RegistryBundle> {
  const versions = await registry.listVersions(task);
  const datasets = await registry.listDatasets(task);
  const specs: Record<string, TaskSpec> = {};
  for (const id of new Set(versions.map((version) => version.specId))) specs[id] = await registry.getSpec(id);
  // soft versions point at their adapter tensor by blob hash
  const blobIds = versions.flatMap((version) =>
    typeof version.content.adapterBlob === 'string' ? [version.content.adapterBlob] : [],
  );
  const blobs: Record<string, string> = {};
  for (const id of blobIds) blobs[id] = Buffer.from(await registry.getBlob(id)).toString('base64');
  return {
    format: 'promptune-registry',
    version: bundleFormatVersion,
    task: await registry.getTask(task),
    specs,
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
    datasetVersions: (await registry.datasetVersions.list(task)).map(
      ({ task: _task, ...version }) => version,
    ),
    blobs,
  };
}

/**
 * Loads a bundle (of format version 1, 2 or 3; `where` names it in errors) in one transaction, checking
 * everything a push would first: versions keep their ids and specs; labels are set (and logged) as moves
 * by `actor`, who needs the admin scope only to set or move a protected label. A refused bundle leaves
 * the registry exactly as it was.
 */
export async function importBundle(
  registry: Registry,
  bundle: unknown,
  actor: Actor,
  options: { where?: string } = {},
): Promise<{ task: string; created: number; existing: number }> {
  const where = options.where ?? 'bundle';
  const checked = checkBundle(parseBundle(bundle, where), where);
  const created = await registry.transaction(async (target) => {
    // inside the transaction, so the registry cannot change between these checks and the writes
    await checkAgainstTarget(target, checked, actor, where);
    await target.putTask(checked.task);
    for (const spec of checked.specs.values()) await target.storeSpec(spec);
    for (const bytes of checked.blobs.values()) await target.putBlob(bytes);
    let created = 0;
    for (const version of checked.versions)
      if ((await target.restoreVersion({ ...version, actor })).created) created++;
    for (const label of checked.labels)
      await target.setLabel({
        task: checked.task.name,
        label: label.label,
        reference: label.version,
        actor,
        reason: 'import',
        protect: label.protected,
        // a bundle restores labels as its registry had them (bundles carry no audit runs)
        auditPolicy: 'skip',
      });
    for (const dataset of checked.datasets) await target.putDataset({ task: checked.task.name, ...dataset });
    await restoreDatasetVersions(target, checked.task.name, checked.datasetVersions);
    return created;
  });
  return { task: checked.task.name, created, existing: checked.versions.length - created };
}

/**
 * What the target must hold or allow: every label names a version of the bundle or of the target, every
 * soft version's adapter blob is in one of them, and the actor may set each protected label the bundle
 * would set or move.
 */
async function checkAgainstTarget(target: Registry, bundle: CheckedBundle, actor: Actor, where: string) {
  const task = bundle.task.name;
  const present = new Set((await target.listVersions(task)).map((version) => version.id));
  const bundled = new Set(bundle.versions.map((version) => version.id));
  for (const version of bundle.versions) {
    const blob = String(version.content.adapterBlob);
    if (version.kind === 'soft' && !bundle.blobs.has(blob) && !(await target.hasBlob(blob)))
      throw new ValidationError(
        `${where}: soft version ${version.id.slice(0, 12)} needs blob ${blob}, which it lacks`,
        {
          code: 'REGISTRY_BAD_BUNDLE',
          hint: 'The bundle was edited or corrupted; export it again.',
        },
      );
  }
  const current = new Map((await target.listLabels(task)).map((label) => [label.label, label]));
  for (const label of bundle.labels) {
    if (!bundled.has(label.version) && !present.has(label.version))
      throw new ValidationError(
        `${where}: label ${label.label} names version ${label.version.slice(0, 12)}, which is neither in the bundle nor in the registry`,
        { code: 'REGISTRY_BAD_BUNDLE', hint: 'The bundle was edited or corrupted; export it again.' },
      );
    const existing = current.get(label.label);
    const unchanged = existing?.version === label.version && existing.protected === label.protected;
    const guarded = labelIsProtected(label.label, existing);
    if (!unchanged && (label.protected || guarded) && !actor.scopes.includes('admin'))
      throw new PermissionError(
        `${where} sets the protected label ${task}@${label.label}, which needs the admin scope`,
        {
          code: 'REGISTRY_PROTECTED_LABEL',
          hint: 'Import with an admin key (or --admin on the command line).',
        },
      );
  }
}

/**
 * Adds the bundle's dataset versions in order: one whose splits the task already has a version of is
 * that version (DatasetVersions.add), so importing twice adds nothing, and into a task with versions of
 * its own they follow them, parents renumbered. Who made each and what it added are kept.
 */
async function restoreDatasetVersions(
  target: Registry,
  task: string,
  versions: readonly BundledDatasetVersion[],
): Promise<void> {
  const numbers = new Map<number, number>();
  for (const version of versions) {
    const added = await target.datasetVersions.add({
      task,
      splits: version.splits,
      // checked: a parent is an earlier version of the bundle, so it was restored (or found) before
      parent: version.parent === null ? null : numbers.get(version.parent)!,
      source: version.source,
      message: version.message,
      details: version.details,
      actor: version.actor,
    });
    numbers.set(version.number, added.number);
  }
}
