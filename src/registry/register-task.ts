// Registering work in the library: a task spec with its split files as versioned datasets, and an
// optimized hard prompt as a version whose parent is the seed prompt's version and whose run records
// the optimizer, models, scores, usage and dataset versions (its lineage).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { NotFoundError } from '../errors/index.js';
import type { OptimizeResult } from '../optimize/index.js';
import { exampleShape, parseExamples, type ExampleShape, type Task } from '../tasks/index.js';
import { datasetId, type Actor, type PromptVersion, type Registry } from './registry.js';
import { hardVersionContent } from './versions.js';

/**
 * Stores the task spec and its split files as versioned datasets; returns each split's dataset id.
 * `actor` (who pushed the data) is an Actor as the other registry writes take, or just its name.
 */
export async function registerTask(
  registry: Registry,
  task: Task,
  actor?: Actor | string,
): Promise<Record<string, string>> {
  // every file read before anything is stored: a spec whose data is missing leaves no task behind
  for (const [split, path] of Object.entries(task.files)) if (path) checkDataFile(split, path);
  await registry.putTask(task.spec);
  const name = typeof actor === 'string' ? actor : actor?.name;
  return putDatasetFiles(registry, task.spec.name, task.files, exampleShape(task.spec), name);
}

/** Refuses a split's data file that is missing (or a folder): DATASET_NOT_FOUND, naming the split. */
function checkDataFile(split: string, path: string): void {
  if (!existsSync(path) || statSync(path).isDirectory())
    throw new NotFoundError(
      `the ${split} split's data file ${relative(process.cwd(), path)} does not exist`,
      {
        code: 'DATASET_NOT_FOUND',
        hint: 'Check the data paths in the task spec (relative to the spec file), or give the data folder with --data where the command takes it.',
      },
    );
}

/** A split's data file's bytes, checked first. */
function dataFile(split: string, path: string): Buffer {
  checkDataFile(split, path);
  return readFileSync(path);
}

/** The dataset ids of data files by split (what putDatasetFiles would store them as), without storing them. */
export function datasetFileIds(task: string, files: Partial<Record<string, string>>): string[] {
  return Object.entries(files).flatMap(([split, path]) =>
    path ? [datasetId(task, split, dataFile(split, path))] : [],
  );
}

/**
 * Stores data files by split as `task`'s versioned datasets, their rows counted as the dataset reader
 * reads them with `shape`, and makes them the task's next dataset version (unless they are the latest
 * already); returns each split's dataset id.
 */
export async function putDatasetFiles(
  registry: Registry,
  task: string,
  files: Partial<Record<string, string>>,
  shape: ExampleShape,
  actor = 'push',
): Promise<Record<string, string>> {
  const datasets: Record<string, string> = {};
  for (const [split, path] of Object.entries(files)) {
    if (!path) continue;
    const bytes = dataFile(split, path);
    datasets[split] = await registry.putDataset({
      task,
      split,
      name: relative(process.cwd(), path),
      bytes,
      rows: parseExamples(bytes, path, shape).length,
    });
  }
  if (Object.keys(datasets).length > 0)
    await registry.datasetVersions.add({
      task,
      splits: datasets,
      source: 'files',
      message: Object.values(files)
        .filter((path): path is string => path !== undefined)
        .map((path) => relative(process.cwd(), path))
        .join(', '),
      actor,
    });
  return datasets;
}

/**
 * Registers an optimization result, in one transaction: the task and its datasets, the seed prompt (if
 * new) and the final prompt as its child. When no candidate beat the seed, the final prompt is the
 * seed and no new version is made (`improved: false`); pushing the same result again returns the same
 * versions (`improved` still says whether the final prompt differs from the seed).
 */
export async function pushOptimized(
  registry: Registry,
  task: Task,
  result: OptimizeResult,
  run: { model: string; teacher?: string; preset?: string },
  actor: Actor,
): Promise<{ version: PromptVersion; seed: PromptVersion; improved: boolean }> {
  return registry.transaction((target) => pushOptimizedIn(target, task, result, run, actor));
}

async function pushOptimizedIn(
  registry: Registry,
  task: Task,
  result: OptimizeResult,
  run: { model: string; teacher?: string; preset?: string },
  actor: Actor,
): Promise<{ version: PromptVersion; seed: PromptVersion; improved: boolean }> {
  const datasets = await registerTask(registry, task, actor.name);
  const { version: seed } = await registry.pushVersion({
    task: task.spec.name,
    kind: 'hard',
    content: hardVersionContent(task.spec),
    spec: task.spec,
    run: { kind: 'manual', datasets },
    message: 'seed prompt of an optimization run',
    actor,
  });
  const { artifact, details } = result;
  const { version } = await registry.pushVersion({
    task: task.spec.name,
    kind: 'hard',
    content: hardVersionContent({ ...task.spec, prompt: artifact.prompt, generation: artifact.generation }),
    spec: task.spec,
    parent: seed.id,
    run: {
      kind: 'optimize',
      optimizer: artifact.optimizer,
      ...run,
      scores: artifact.scores,
      usage: details.usage,
      datasets,
    },
    message: `${artifact.optimizer.name} on ${run.model}: dev ${artifact.scores.seed.toFixed(3)} -> ${artifact.scores.best.toFixed(3)}`,
    actor,
  });
  return { version, seed, improved: version.id !== seed.id };
}
