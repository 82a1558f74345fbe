// `registry push --task <spec> --adapter <folder>`: an adapter folder made elsewhere (PEFT's, or a
// promptune run's) registered as a soft version of the spec's task, with the spec's datasets, so the
// service serves it like a trained one. With --model it is first loaded on that model (the service's),
// which refuses an adapter of other dimensions or, for one of ours, of other weights.
import { join, relative } from 'node:path';
import { loadModel } from '../engine/index.js';
import { ValidationError } from '../errors/index.js';
import {
  adapterMethodName,
  pushSoftPrompt,
  type Actor,
  type PromptVersion,
  type Registry,
} from '../registry/index.js';
import { loadTrainedAdapter, readFineTunedModel, readTrainedAdapterFolder } from '../soft/index.js';
import type { Task } from '../tasks/index.js';
import { downloadProgress } from './progress.js';
import { taskNameOf } from './soft-push.js';

/**
 * Checks the adapter folder (and, given a model, that it loads on it) before anything is registered: one
 * recorded as trained for another task than `task` is refused unless `otherTask` (its recorded scores
 * would read as this task's).
 */
export async function checkAdapterFolder(
  directory: string,
  task: string,
  options: { model?: string; force: boolean; otherTask: boolean },
): Promise<{ method: string; checked: boolean; trainedFor?: string }> {
  const tuned = readFineTunedModel(directory);
  if (tuned)
    throw new ValidationError(
      `${directory} holds a fully fine-tuned model, not an adapter: a registry version runs on the service's one frozen model`,
      {
        code: 'ADAPTER_FULL_MODEL',
        hint: `Serve it on its own: promptune serve --model ${tuned.path}, with versions of its tasks trained on it.`,
      },
    );
  const { method, tasks, metadata } = readTrainedAdapterFolder(directory);
  // as --push would have named it: the --baseline spec's task, or the data folder's name as a task name
  const trainedFor = metadata?.task === undefined ? undefined : taskNameOf(metadata.task);
  if (trainedFor !== undefined && trainedFor !== task && !options.otherTask)
    throw new ValidationError(
      `${directory} was trained for task ${trainedFor} (its promptune.json says so: the --baseline spec's task, or the name of its data folder), not ${task}`,
      {
        code: 'ADAPTER_OTHER_TASK',
        hint: `Push it with the spec of ${trainedFor}, or add --other-task to register it for ${task} all the same (the scores it records are ${trainedFor}'s, not ${task}'s).`,
      },
    );
  if (tasks > 1)
    throw new ValidationError(`${directory} is a multitask adapter of ${tasks} tasks; a version serves one`, {
      code: 'ADAPTER_TASK_REQUIRED',
      hint: `Push one task of it: soft train-multitask --push registers each, or push the folder it wrote for that task (${join(directory, 'tasks', '<name>')}).`,
    });
  // pushed for another task (--other-task): the version's lineage says whose scores it carries
  const other = trainedFor !== undefined && trainedFor !== task ? { trainedFor } : {};
  if (options.model === undefined) return { method, checked: false, ...other };
  const loaded = await loadModel(options.model, { hub: { onProgress: downloadProgress() } });
  loadTrainedAdapter(directory, loaded.model, { force: options.force });
  return { method, checked: true, ...other };
}

/** Registers `directory` as a soft version of `task`'s task (its spec and data files alongside). */
export async function pushAdapterFolder(
  target: Registry,
  actor: Actor,
  task: Task,
  source: { directory: string; method: string; model?: string; trainedFor?: string; message: string },
): Promise<{ version: PromptVersion; created: boolean }> {
  const { version, created } = await pushSoftPrompt(target, {
    spec: task.spec,
    adapterDirectory: source.directory,
    datasets: task.files,
    run: {
      kind: 'adapter',
      adapter: relative(process.cwd(), source.directory),
      spec: task.path && relative(process.cwd(), task.path),
      ...(source.model && { model: source.model }),
      ...(source.trainedFor && { trainedFor: source.trainedFor }),
    },
    message: source.message || `${adapterMethodName(source.method)} from ${source.directory}`,
    actor,
  });
  return { version, created };
}
