// A soft prompt for the engine worker from an adapter folder on disk (promptune's or PEFT's): its
// files read through the soft layer's checked readers, keyed by the content of its vectors. It does
// not load the prompt itself: the worker does, against its own base model.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAdapterMetadata, readTrainedAdapterConfig } from '../soft/index.js';
import type { SoftPromptSource } from './engine-client.js';

/**
 * The SoftPromptSource of an adapter folder, for `EngineClient.languageModel`. `key` names it to the
 * worker (default: a hash of its tensors and config, so two folders holding the same adapter share one entry).
 */
export function adapterSource(directory: string, key?: string): SoftPromptSource {
  const config = readTrainedAdapterConfig(directory);
  const metadata = readAdapterMetadata(directory);
  const safetensors = readFileSync(join(directory, 'adapter_model.safetensors'));
  return {
    // the tensors and the config: a LoRA adapter's alpha changes what the same tensors do
    key:
      key ??
      `adapter-${createHash('sha256').update(safetensors).update(JSON.stringify(config)).digest('hex').slice(0, 16)}`,
    files: { config, metadata: metadata as Record<string, unknown> | undefined, safetensors },
  };
}
