// Any adapter promptune trains or loads, by its adapter_config.json's peft_type: a soft prompt
// (PROMPT_TUNING, or P_TUNING: the prompt its encoder made, or MULTITASK_PROMPT_TUNING: one task's prompt),
// a LoRA adapter (LORA) or a key/value prefix (PREFIX_TUNING). Callers that serve, score or register
// adapters go through here, so each knows every method; one a method does not cover is refused with
// ADAPTER_UNSUPPORTED.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { NotFoundError, PromptuneError, readJsonFile, ValidationError } from '../errors/index.js';
import type { LlamaModel, ModelAdapter } from '../engine/index.js';
import { loadLoraAdapter, readLoraConfig, readLoraFolder } from './lora-adapter.js';
import {
  loadMultitaskAdapter,
  multitaskTaskId,
  readMultitaskConfig,
  readMultitaskFolder,
} from './multitask-adapter.js';
import { taskPrompt } from './multitask-prompt.js';
import { noPrompt } from './lora-training.js';
import {
  loadPrefixAdapter,
  prefixPlaceholders,
  readPrefixConfig,
  readPrefixFolder,
} from './prefix-adapter.js';
import { loadAdapter, readAdapterConfig, readAdapterFolder, type AdapterMetadata } from './peft-adapter.js';
import type { SoftPrompt } from './soft-prompt.js';

/** The PEFT methods promptune runs. */
export type AdapterMethod =
  'PROMPT_TUNING' | 'P_TUNING' | 'MULTITASK_PROMPT_TUNING' | 'LORA' | 'PREFIX_TUNING';
const ADAPTER_METHODS: readonly string[] = [
  'PROMPT_TUNING',
  'P_TUNING',
  'MULTITASK_PROMPT_TUNING',
  'LORA',
  'PREFIX_TUNING',
] satisfies AdapterMethod[];

/**
 * An adapter ready for a model: prompt vectors (none for LoRA, placeholders for a prefix) and what runs
 * in the model (LoRA's matrices, a prefix's keys and values).
 */
export interface TrainedAdapter {
  method: AdapterMethod;
  prompt: SoftPrompt;
  adapter?: ModelAdapter;
  config: Record<string, unknown>;
  metadata: AdapterMetadata | undefined;
}

/** The peft_type of an adapter folder, refused unless promptune runs it. */
export function adapterMethod(directory: string): AdapterMethod {
  if (existsSync(directory) && statSync(directory).isFile()) {
    // one of an adapter folder's own files names its folder; another file is no adapter at all
    const inFolder = ['adapter_config.json', 'adapter_model.safetensors', 'promptune.json'].includes(
      basename(directory),
    );
    throw new NotFoundError(`${directory} is a file; an adapter is the folder holding adapter_config.json`, {
      code: 'ADAPTER_NOT_FOUND',
      hint: inFolder
        ? `Pass the folder: ${dirname(directory)}`
        : 'Pass the --out folder of soft train (or of PEFT save_pretrained).',
    });
  }
  const path = join(directory, 'adapter_config.json');
  const { peft_type: type } = readJsonFile(path, z.looseObject({ peft_type: z.string() }), {
    where: `adapter config ${path}`,
    code: 'ADAPTER_CONFIG_INVALID',
    hint: 'adapter_config.json is damaged; restore it from the training run (or PEFT save_pretrained).',
    notFoundCode: 'ADAPTER_NOT_FOUND',
    notFoundHint:
      'An adapter is a folder holding adapter_config.json: the --out of soft train (or of PEFT save_pretrained).',
  });
  if (ADAPTER_METHODS.includes(type)) return type as AdapterMethod;
  throw new ValidationError(`${path}: peft_type is ${type}, which promptune does not run`, {
    code: 'ADAPTER_UNSUPPORTED',
    hint: 'promptune loads prompt-tuning (PROMPT_TUNING), P-tuning (P_TUNING), multitask prompt tuning (MULTITASK_PROMPT_TUNING), LoRA (LORA) and prefix-tuning (PREFIX_TUNING) adapters.',
  });
}

/** An adapter folder's config, checked by its method's schema. */
export function readTrainedAdapterConfig(directory: string): Record<string, unknown> {
  const method = adapterMethod(directory);
  if (method === 'LORA') return readLoraConfig(directory);
  if (method === 'MULTITASK_PROMPT_TUNING') return readMultitaskConfig(directory);
  return method === 'PREFIX_TUNING' ? readPrefixConfig(directory) : readAdapterConfig(directory);
}

/** Reads and checks an adapter folder of any method without a model: its method, metadata and tasks (1 but for a multitask prompt). */
export function readTrainedAdapterFolder(directory: string): {
  method: AdapterMethod;
  metadata: AdapterMetadata | undefined;
  tasks: number;
} {
  const method = adapterMethod(directory);
  if (method === 'MULTITASK_PROMPT_TUNING') {
    const { multitask, metadata } = readMultitaskFolder(directory);
    return { method, metadata, tasks: multitask.shape.tasks };
  }
  const read = {
    LORA: readLoraFolder,
    PREFIX_TUNING: readPrefixFolder,
    PROMPT_TUNING: readAdapterFolder,
    P_TUNING: readAdapterFolder,
  }[method];
  const { metadata } = read(directory);
  return { method, metadata, tasks: 1 };
}

/**
 * Loads an adapter folder of any method for `model` (another model's is refused unless `force`); of a
 * multitask prompt, the prompt of `task` (a name or id; none needed when it holds one task).
 */
export function loadTrainedAdapter(
  directory: string,
  model: LlamaModel,
  options: { force?: boolean; task?: string } = {},
): TrainedAdapter {
  const method = adapterMethod(directory);
  if (options.task !== undefined && method !== 'MULTITASK_PROMPT_TUNING')
    throw new ValidationError(
      // the method as soft train's --method names it
      `a task was named (${options.task}), but ${directory} is a ${method.toLowerCase().replaceAll('_', '-')} adapter of one task`,
      {
        code: 'ADAPTER_NOT_MULTITASK',
        hint: 'Name a task only for a multitask adapter; drop --task.',
      },
    );
  if (method === 'MULTITASK_PROMPT_TUNING') {
    const loaded = loadMultitaskAdapter(directory, model, options);
    const prompt = taskPrompt(loaded.multitask, multitaskTaskId(loaded, options.task));
    return { method, prompt, config: loaded.config, metadata: loaded.metadata };
  }
  if (method === 'LORA') {
    const { adapter, config, metadata } = loadLoraAdapter(directory, model, options);
    return { method, prompt: noPrompt(model), adapter, config, metadata };
  }
  if (method === 'PREFIX_TUNING') {
    const { prefix, config, metadata } = loadPrefixAdapter(directory, model, options);
    return { method, prompt: prefixPlaceholders(model, prefix), adapter: prefix, config, metadata };
  }
  const { prompt, config, metadata } = loadAdapter(directory, model, options);
  return { method, prompt, config, metadata };
}

/**
 * Checks an adapter held as values (a registry version's config and metadata, its vectors' bytes) as
 * readAdapterFolder checks a folder; errors name `where`. It writes the files to a temporary folder,
 * which it removes.
 */
export function checkAdapterFiles(
  files: { config: unknown; metadata?: unknown; safetensors: Uint8Array },
  where: string,
): void {
  const directory = mkdtempSync(join(tmpdir(), 'promptune-adapter-check-'));
  try {
    writeFileSync(join(directory, 'adapter_config.json'), JSON.stringify(files.config ?? null));
    if (files.metadata !== undefined)
      writeFileSync(join(directory, 'promptune.json'), JSON.stringify(files.metadata));
    writeFileSync(join(directory, 'adapter_model.safetensors'), files.safetensors);
    // a version serves one task: a multitask prompt of several would leave the task to guess
    const { tasks } = readTrainedAdapterFolder(directory);
    if (tasks > 1)
      throw new ValidationError(`the multitask adapter holds ${tasks} tasks; a version serves one`, {
        code: 'ADAPTER_TASK_REQUIRED',
        hint: 'Transfer it to the task first: soft train --method multitask-prompt-tuning --source <folder> --transfer <task> --data <task data> --push.',
      });
  } catch (error) {
    if (!PromptuneError.isInstance(error)) throw error;
    const message = `${where}: ${error.message.replaceAll(`${directory}/`, '').replaceAll(directory, 'the adapter')}`;
    throw new ValidationError(message, { code: error.code, hint: error.hint, cause: error });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
