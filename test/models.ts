// Paths to the shared models and reference data used by tests (../shared beside the repository).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const sharedModels = join(repositoryRoot, '..', 'shared', 'models');
export const stories = {
  gguf: join(sharedModels, 'stories260K', 'stories260K.gguf'),
  llama2c: join(sharedModels, 'stories260K', 'stories260K.bin'),
  tokenizer512: join(sharedModels, 'stories260K', 'tok512.bin'),
  huggingFace: join(sharedModels, 'stories260K-hf'),
};

/** stories260K's reference_logits.json. */
export interface ReferenceLogits {
  prompt: string;
  prompt_ids: number[];
  greedy_new_ids: number[];
  greedy_text: string;
  fixed_tokens: number[];
  logits: number[][];
}

export function referenceLogits(): ReferenceLogits {
  return JSON.parse(
    readFileSync(join(sharedModels, 'stories260K', 'reference_logits.json'), 'utf8'),
  ) as ReferenceLogits;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The real PEFT prompt-tuning adapter beside stories260K: its config (parsed) and its tensor file's bytes. */
export function peftAdapterFiles(): { config: Record<string, unknown>; safetensors: Uint8Array } {
  const folder = join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example');
  return {
    config: JSON.parse(readFileSync(join(folder, 'adapter_config.json'), 'utf8')) as Record<string, unknown>,
    safetensors: readFileSync(join(folder, 'adapter_model.safetensors')),
  };
}
