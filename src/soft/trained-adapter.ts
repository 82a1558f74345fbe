// Any adapter promptune trains or loads, by its adapter_config.json's peft_type: a soft prompt
// (PROMPT_TUNING) or a LoRA adapter (LORA). Callers that serve, score or register adapters go through
// here, so each knows every method; one a method does not cover is refused with ADAPTER_UNSUPPORTED.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { PromptuneError, readJsonFile, ValidationError } from '../errors/index.js';
import type { LlamaModel, LowRankAdapter } from '../engine/index.js';
import { loadLoraAdapter, readLoraConfig, readLoraFolder } from './lora-adapter.js';
import { noPrompt } from './lora-training.js';
import {
  loadAdapter,
  readAdapterConfig,
  readAdapterFolder,
  readAdapterMetadata,
  type AdapterMetadata,
} from './peft-adapter.js';
import type { SoftPrompt } from './soft-prompt.js';

/** The PEFT methods promptune runs. */
export type AdapterMethod = 'PROMPT_TUNING' | 'LORA';

/** An adapter ready for a model: prompt vectors (none for LoRA) and low-rank matrices (LoRA only). */
export interface TrainedAdapter {
  method: AdapterMethod;
  prompt: SoftPrompt;
  adapter?: LowRankAdapter;
  config: Record<string, unknown>;
  metadata: AdapterMetadata | undefined;
}

/** The peft_type of an adapter folder, refused unless promptune runs it. */
export function adapterMethod(directory: string): AdapterMethod {
  const path = join(directory, 'adapter_config.json');
  const { peft_type: type } = readJsonFile(path, z.looseObject({ peft_type: z.string() }), {
    where: `adapter config ${path}`,
    code: 'ADAPTER_CONFIG_INVALID',
    hint: 'adapter_config.json is damaged; restore it from the training run (or PEFT save_pretrained).',
    notFoundCode: 'ADAPTER_NOT_FOUND',
  });
  if (type === 'PROMPT_TUNING' || type === 'LORA') return type;
  throw new ValidationError(`${path}: peft_type is ${type}, which promptune does not run`, {
    code: 'ADAPTER_UNSUPPORTED',
    hint: 'promptune loads prompt-tuning (PROMPT_TUNING) and LoRA (LORA) adapters.',
  });
}

/** An adapter folder's config, checked by its method's schema. */
export function readTrainedAdapterConfig(directory: string): Record<string, unknown> {
  return adapterMethod(directory) === 'LORA' ? readLoraConfig(directory) : readAdapterConfig(directory);
}

/** Reads and checks an adapter folder of either method without a model. */
export function readTrainedAdapterFolder(directory: string): {
  method: AdapterMethod;
  metadata: AdapterMetadata | undefined;
} {
  const method = adapterMethod(directory);
  if (method === 'LORA') readLoraFolder(directory);
  else readAdapterFolder(directory);
  return { method, metadata: readAdapterMetadata(directory) };
}

/** Loads an adapter folder of either method for `model` (another model's is refused unless `force`). */
export function loadTrainedAdapter(
  directory: string,
  model: LlamaModel,
  options: { force?: boolean } = {},
): TrainedAdapter {
  const method = adapterMethod(directory);
  if (method === 'LORA') {
    const { adapter, config, metadata } = loadLoraAdapter(directory, model, options);
    return { method, prompt: noPrompt(model), adapter, config, metadata };
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
    readTrainedAdapterFolder(directory);
  } catch (error) {
    if (!PromptuneError.isInstance(error)) throw error;
    const message = `${where}: ${error.message.replaceAll(`${directory}/`, '').replaceAll(directory, 'the adapter')}`;
    throw new ValidationError(message, { code: error.code, hint: error.hint, cause: error });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
