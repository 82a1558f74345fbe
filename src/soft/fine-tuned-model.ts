// The folder full fine-tuning writes: the whole model in its source's format (model.gguf, or a Hugging
// Face directory's files) and promptune.json saying what it is, what it was tuned from and how. Not an
// adapter: it serves alone, not beside other tasks on one frozen model. soft eval and soft generate take
// the folder where they take an adapter, and run the model it holds.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { readJsonFile, ValidationError } from '../errors/index.js';
import {
  firstNonFinite,
  saveModelLike,
  writeFileAtomically,
  type LlamaModel,
  type ModelSource,
} from '../engine/index.js';

/** promptune.json's `format` for a fine-tuned model. */
export const FINE_TUNED_MODEL_FORMAT = 'promptune-fine-tuned-model';

const metadataSchema = z.looseObject({
  format: z.literal(FINE_TUNED_MODEL_FORMAT),
  /** How its weights were made: trained whole, or a LoRA adapter merged into its base's. */
  method: z.enum(['full-fine-tuning', 'merged-lora']),
  /** The model inside the folder: its GGUF file, or the folder itself for a Hugging Face directory. */
  model: z.enum(['model.gguf', '.']),
  baseModel: z.object({ name: z.string(), sha256: z.string() }),
  tokenizer: z.object({ kind: z.string(), sha256: z.string() }).optional(),
  seed: z.number().optional(),
  metrics: z.record(z.string(), z.number().nullable()).optional(),
  training: z.record(z.string(), z.unknown()).optional(),
});

/** What promptune.json records of a fine-tuned model. */
export type FineTunedModelMetadata = z.output<typeof metadataSchema>;

/** What the training run says of a fine-tuned model (promptune.json's other fields). */
export interface FineTunedModelDetails {
  /** How its weights were made (default: full fine-tuning). */
  method?: FineTunedModelMetadata['method'];
  baseModel: { name: string; sha256: string };
  tokenizer?: { kind: string; sha256: string };
  seed?: number;
  metrics?: Record<string, number | null>;
  training?: Record<string, unknown>;
}

/**
 * Writes the fine-tuned `model` (its weights `values`, checked finite) into `directory` as `source` was
 * stored, then promptune.json; returns the path --model takes for it.
 */
export async function saveFineTunedModel(
  directory: string,
  model: LlamaModel,
  values: Float32Array,
  source: ModelSource,
  metadata: FineTunedModelDetails,
): Promise<string> {
  const bad = firstNonFinite(values);
  if (bad >= 0)
    throw new ValidationError(
      `the fine-tuned model to save in ${directory} holds ${values[bad]} at value ${bad}`,
      {
        code: 'MODEL_NOT_FINITE',
        hint: 'Training diverged; lower the learning rate or clip the gradient, and train again.',
      },
    );
  const path = await saveModelLike(directory, model, source);
  const { method = 'full-fine-tuning', ...details } = metadata;
  const sidecar: FineTunedModelMetadata = {
    format: FINE_TUNED_MODEL_FORMAT,
    method,
    model: (relative(directory, path) || '.') as 'model.gguf' | '.',
    ...details,
  };
  writeFileAtomically(join(directory, 'promptune.json'), JSON.stringify(sidecar, null, 2) + '\n');
  return path;
}

/**
 * The model a fine-tuned folder holds (its path) and what promptune.json says of it, or undefined when
 * `directory` is not one (an adapter).
 */
export function readFineTunedModel(
  directory: string,
): { path: string; metadata: FineTunedModelMetadata } | undefined {
  const path = join(directory, 'promptune.json');
  if (!existsSync(path) || existsSync(join(directory, 'adapter_config.json'))) return undefined;
  const source = {
    where: path,
    code: 'ADAPTER_CORRUPT',
    hint: 'promptune.json is damaged; restore it from the training run, or train again.',
  };
  const format = readJsonFile(path, z.looseObject({ format: z.string().optional() }), source).format;
  if (format !== FINE_TUNED_MODEL_FORMAT) return undefined;
  const metadata = readJsonFile(path, metadataSchema, source);
  return { path: join(directory, metadata.model), metadata };
}
