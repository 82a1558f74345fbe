// PEFT-compatible multitask prompt tuning adapters: adapter_config.json (peft_type MULTITASK_PROMPT_TUNING,
// num_tasks, num_ranks) and adapter_model.safetensors holding the shared `prompt_embeddings` [P, C] and
// the task factors `prefix_task_cols` [T, P, R] and `prefix_task_rows` [T, R, C]. promptune.json records
// the tasks' names by task id, so a task is chosen by name. One task's prompt is a soft prompt.
import { z } from 'zod';
import { ValidationError, WeightLoadError } from '../errors/index.js';
import { openSafetensors, type LlamaModel } from '../engine/index.js';
import { packMultitask, type MultitaskPrompt, type MultitaskShape } from './multitask-prompt.js';
import {
  adapterTensorPath,
  checkBaseModel,
  promptTuningConfig,
  readAdapterMetadata,
  readPeftConfig,
  writeAdapterFiles,
  type AdapterMetadata,
  type BaseModelNames,
} from './peft-adapter.js';
import { modelFingerprint } from './model-fingerprint.js';
import { checkPromptFinite } from './soft-prompt.js';

const count = (max: number) => z.number().int().positive().max(max);

/** The fields of a multitask adapter_config.json that loading depends on. */
const multitaskConfigSchema = z.looseObject({
  peft_type: z.literal('MULTITASK_PROMPT_TUNING'),
  num_virtual_tokens: count(65_536),
  num_tasks: count(65_536),
  num_ranks: count(65_536),
  token_dim: count(1 << 20)
    .nullable()
    .optional(),
  num_transformer_submodules: z.number().int().positive().nullable().optional(),
  base_model_name_or_path: z.string().nullable().optional(),
});
export type MultitaskConfig = z.output<typeof multitaskConfigSchema>;

/** A loaded multitask adapter folder. */
export interface LoadedMultitask {
  multitask: MultitaskPrompt;
  config: MultitaskConfig;
  metadata: AdapterMetadata | undefined;
}

/** Reads a multitask adapter_config.json through its schema; an encoder-decoder's is refused. */
export function readMultitaskConfig(directory: string): MultitaskConfig {
  return readPeftConfig(directory, multitaskConfigSchema);
}

/**
 * Reads and checks a multitask adapter folder without a model: config and metadata through their schemas,
 * each tensor's shape against the config (checked before its values are read), every value finite.
 */
export function readMultitaskFolder(directory: string): LoadedMultitask {
  const tensorPath = adapterTensorPath(directory, 'promptune soft train-multitask');
  const config = readMultitaskConfig(directory);
  const metadata = readAdapterMetadata(directory);
  const { num_virtual_tokens: P, num_tasks: T, num_ranks: R } = config;
  if (metadata?.tasks && metadata.tasks.length !== T)
    throw new ValidationError(
      `${directory}: promptune.json names ${metadata.tasks.length} tasks, the config says ${T}`,
      { code: 'ADAPTER_CORRUPT', hint: 'The adapter files do not belong together; train it again.' },
    );
  const source = openSafetensors([tensorPath]);
  try {
    const find = (name: string) => {
      const found = source.names().find((candidate) => candidate.endsWith(name));
      if (!found)
        throw new WeightLoadError(`${tensorPath} has no ${name} tensor`, {
          code: 'ADAPTER_CORRUPT',
          hint: 'The adapter file is damaged; train or download it again.',
        });
      return found;
    };
    const sharedShape = source.shape(find('prompt_embeddings'));
    const C = sharedShape[1];
    const expected: Record<string, number[]> = {
      prompt_embeddings: [P, config.token_dim ?? C],
      prefix_task_cols: [T, P, R],
      prefix_task_rows: [T, R, config.token_dim ?? C],
    };
    const values = Object.fromEntries(
      Object.entries(expected).map(([name, shape]) => {
        const tensor = find(name);
        const actual = source.shape(tensor);
        if (actual.join() !== shape.join())
          throw new WeightLoadError(`${tensorPath}: ${name} is [${actual}], the config says [${shape}]`, {
            code: 'ADAPTER_CORRUPT',
            hint: 'The adapter files do not belong together.',
          });
        const read = source.read(tensor);
        // a task's factors are [task, virtual token, rank] and [task, rank, dimension]
        const axes =
          name === 'prefix_task_cols'
            ? ['task', 'virtual token', 'rank']
            : name === 'prefix_task_rows'
              ? ['task', 'rank', 'dimension']
              : undefined;
        checkPromptFinite(read, shape.at(-1)!, `${tensorPath}: tensor ${name}`, {
          hint: 'The adapter holds NaN or infinite values (a diverged run, or a damaged file); train it again.',
          position: axes && ((index) => coordinates(index, shape, axes)),
        });
        return [name, read];
      }),
    );
    const shape: MultitaskShape = { virtualTokens: P, hiddenSize: C, tasks: T, ranks: R };
    const multitask = packMultitask(
      {
        shared: values.prompt_embeddings,
        taskColumns: values.prefix_task_cols,
        taskRows: values.prefix_task_rows,
      },
      shape,
      metadata?.layout ?? 'peft',
    );
    return { multitask, config, metadata };
  } finally {
    source.close();
  }
}

/** Reads a multitask adapter folder for `model`; another model's is refused unless `force`. */
export function loadMultitaskAdapter(
  directory: string,
  model: LlamaModel,
  options: { force?: boolean } = {},
): LoadedMultitask {
  const loaded = readMultitaskFolder(directory);
  const { hiddenSize } = loaded.multitask.shape;
  if (!options.force) {
    if (hiddenSize !== model.config.hiddenSize)
      throw new ValidationError(
        `the adapter's vectors have ${hiddenSize} dimensions, the model ${model.config.hiddenSize}`,
        {
          code: 'ADAPTER_WRONG_MODEL',
          hint: `It was made for ${loaded.config.base_model_name_or_path ?? 'another model'}; load that model.`,
        },
      );
    checkBaseModel(loaded.metadata, model);
  }
  return loaded;
}

/**
 * The task id `task` names in a multitask adapter: a task's name (promptune.json) or its id. A one-task
 * adapter needs none; with several, one must be named (ADAPTER_TASK_REQUIRED), and an unknown one is
 * refused (ADAPTER_TASK_UNKNOWN), each listing the tasks.
 */
export function multitaskTaskId(loaded: LoadedMultitask, task: string | undefined): number {
  const { tasks } = loaded.multitask.shape;
  const names = loaded.metadata?.tasks ?? [];
  const listing =
    names.length > 0 ? names.map((name, id) => `${id} ${name}`).join(', ') : `ids 0..${tasks - 1}`;
  if (task === undefined) {
    if (tasks === 1) return 0;
    throw new ValidationError(`the multitask adapter holds ${tasks} tasks; which one was not said`, {
      code: 'ADAPTER_TASK_REQUIRED',
      hint: `Name one with --task (${listing}) in soft eval or soft generate; to register, serve or audit one task, use the one-task adapter train-multitask --push wrote in <folder>/tasks/<task>/, or train it from this adapter (soft train --method multitask-prompt-tuning --source <folder> --transfer <task>).`,
    });
  }
  const byName = names.indexOf(task);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(task) && Number(task) < tasks) return Number(task);
  throw new ValidationError(`the multitask adapter has no task ${task}`, {
    code: 'ADAPTER_TASK_UNKNOWN',
    hint: `Name one of its tasks (${listing}).`,
  });
}

/** Writes a multitask adapter folder (PEFT's files, and promptune.json naming the tasks by id). */
export function saveMultitaskAdapter(
  directory: string,
  multitask: MultitaskPrompt,
  model: LlamaModel,
  metadata: Omit<AdapterMetadata, 'format' | 'layout' | 'baseModel'> & BaseModelNames,
): void {
  const { virtualTokens: P, hiddenSize: C, tasks: T, ranks: R } = multitask.shape;
  for (const [name, values, rowSize] of [
    ['shared prompt', multitask.shared, C],
    ['task columns', multitask.taskColumns, R],
    ['task rows', multitask.taskRows, C],
  ] as const)
    checkPromptFinite(values, rowSize, `the multitask prompt to save in ${directory}: its ${name}`, {
      hint: 'Training diverged; lower the learning rate or clip the gradient, and train again.',
    });
  if (metadata.tasks && metadata.tasks.length !== T)
    throw new ValidationError(`${metadata.tasks.length} task names for a prompt of ${T} tasks`, {
      code: 'SOFT_PROMPT_MISMATCH',
      hint: 'Name every task once, in task-id order.',
    });
  const { baseModelName, baseModelPath, ...rest } = metadata;
  // a prompt transferred from a source is written with a plain init too: PEFT would read the source's
  // file again for AVERAGE_SOURCE_TASKS and the like; promptune.json's training records the transfer
  const config = {
    ...promptTuningConfig(model, multitask.shape, baseModelPath ?? baseModelName, metadata.init),
    peft_type: 'MULTITASK_PROMPT_TUNING',
    num_tasks: T,
    num_ranks: R,
    prompt_tuning_init_state_dict_path: null,
    prompt_tuning_init_task: 0,
  };
  writeAdapterFiles(
    directory,
    {
      prefix_task_cols: { shape: [T, P, R], data: multitask.taskColumns },
      prefix_task_rows: { shape: [T, R, C], data: multitask.taskRows },
      prompt_embeddings: { shape: [P, C], data: multitask.shared },
    },
    config,
    {
      format: 'promptune-soft-prompt',
      layout: multitask.layout,
      baseModel: { name: baseModelName, sha256: modelFingerprint(model) },
      ...rest,
    },
  );
}

/** An index of a tensor of `shape` in words: "task 1, virtual token 2, rank 0". */
function coordinates(index: number, shape: number[], axes: string[]): string {
  const parts: string[] = [];
  let rest = index;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    parts.unshift(`${axes[axis]} ${rest % shape[axis]}`);
    rest = Math.floor(rest / shape[axis]);
  }
  return parts.join(', ');
}
