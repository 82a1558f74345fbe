// PEFT-compatible soft prompt artifacts: adapter_config.json (peft_type PROMPT_TUNING) and
// adapter_model.safetensors holding `prompt_embeddings` [N, C], plus promptune.json with what PEFT does
// not record: layout, base-model and tokenizer hashes, task, metrics, seed. Loading onto another base
// model is refused unless forced.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, ValidationError, WeightLoadError } from '../errors/index.js';
import { openSafetensors, writeSafetensors, type LlamaModel, type Tokenizer } from '../engine/index.js';
import type { PromptLayout, SoftPrompt } from './soft-prompt.js';

/** What promptune records beside PEFT's files. */
export interface AdapterMetadata {
  format: 'promptune-soft-prompt';
  layout: PromptLayout;
  baseModel: { name: string; sha256: string };
  tokenizer?: { kind: string; sha256: string };
  init?: string;
  task?: string;
  seed?: number;
  metrics?: Record<string, number>;
  training?: Record<string, unknown>;
}

/** A loaded adapter. */
export interface LoadedAdapter {
  prompt: SoftPrompt;
  config: Record<string, unknown>;
  metadata: AdapterMetadata | undefined;
}

/** A fingerprint of a model's weights (embedding table and final norm): equal models, equal hashes. */
export function modelFingerprint(model: LlamaModel): string {
  const hash = createHash('sha256');
  const { config, weights } = model;
  hash.update(
    JSON.stringify([config.hiddenSize, config.layers, config.heads, config.kvHeads, config.vocabularySize]),
  );
  for (const tensor of [
    weights.embedding,
    weights.finalNorm,
    weights.layers[0].query,
    weights.layers.at(-1)!.down,
  ])
    hash.update(new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength));
  return hash.digest('hex');
}

/**
 * A fingerprint of a tokenizer's behaviour: its kind, size, special ids and the encodings of probe texts.
 * Tokenizers that agree on these almost surely agree everywhere that matters for a prompt.
 */
export function tokenizerFingerprint(tokenizer: Tokenizer): string {
  const probes = [
    'Once upon a time, there was a little dog.',
    ' Hello World! 123 café 🦙',
    '\n\tindented  text',
  ];
  return createHash('sha256')
    .update(
      JSON.stringify([
        tokenizer.kind,
        tokenizer.vocabularySize,
        tokenizer.bosTokenId,
        tokenizer.eosTokenIds,
        probes.map((text) => tokenizer.encode(text)),
      ]),
    )
    .digest('hex');
}

const peftInit: Record<string, string> = {
  random: 'RANDOM',
  normal: 'RANDOM',
  'sample-vocab': 'SAMPLE_VOCAB',
  text: 'TEXT',
  'class-labels': 'TEXT',
};

/** Writes the adapter folder (each file via a temporary name, then renamed). */
export function saveAdapter(
  directory: string,
  prompt: SoftPrompt,
  model: LlamaModel,
  metadata: Omit<AdapterMetadata, 'format' | 'layout' | 'baseModel'> & { baseModelName: string },
): void {
  mkdirSync(directory, { recursive: true });
  const config = {
    auto_mapping: null,
    base_model_name_or_path: metadata.baseModelName,
    inference_mode: true,
    num_attention_heads: model.config.heads,
    num_layers: model.config.layers,
    num_transformer_submodules: 1,
    num_virtual_tokens: prompt.virtualTokens,
    peft_type: 'PROMPT_TUNING',
    prompt_tuning_init: peftInit[metadata.init ?? 'random'] ?? 'RANDOM',
    prompt_tuning_init_text: null,
    revision: null,
    task_type: 'CAUSAL_LM',
    token_dim: prompt.hiddenSize,
    tokenizer_kwargs: null,
    tokenizer_name_or_path: null,
  };
  const { baseModelName, ...rest } = metadata;
  const sidecar: AdapterMetadata = {
    format: 'promptune-soft-prompt',
    layout: prompt.layout,
    baseModel: { name: baseModelName, sha256: modelFingerprint(model) },
    ...rest,
  };
  writeSafetensors(
    join(directory, 'adapter_model.safetensors'),
    { prompt_embeddings: { shape: [prompt.virtualTokens, prompt.hiddenSize], data: prompt.values } },
    { format: 'pt' },
  );
  for (const [name, value] of [
    ['adapter_config.json', config],
    ['promptune.json', sidecar],
  ] as const) {
    const temporary = join(directory, `.${name}.tmp`);
    writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n');
    renameSync(temporary, join(directory, name));
  }
}

/**
 * Reads an adapter folder for `model`. PEFT adapters without promptune.json use PEFT's layout. A
 * prompt made for another model (different hidden size, or a different weight fingerprint) is refused
 * unless `force`.
 */
export function loadAdapter(
  directory: string,
  model: LlamaModel,
  options: { force?: boolean } = {},
): LoadedAdapter {
  const configPath = join(directory, 'adapter_config.json');
  const tensorPath = join(directory, 'adapter_model.safetensors');
  if (!existsSync(configPath) || !existsSync(tensorPath)) {
    throw new NotFoundError(
      `${directory} is not an adapter folder (adapter_config.json and adapter_model.safetensors)`,
      {
        code: 'ADAPTER_NOT_FOUND',
        hint: 'Pass the folder that promptune soft train --out (or PEFT save_pretrained) wrote.',
      },
    );
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  if (config.peft_type !== 'PROMPT_TUNING') {
    throw new ValidationError(`${configPath}: peft_type is ${String(config.peft_type)}, not PROMPT_TUNING`, {
      code: 'ADAPTER_UNSUPPORTED',
      hint: 'Only prompt-tuning adapters are soft prompts; LoRA and prefix tuning are not supported.',
    });
  }
  const sidecarPath = join(directory, 'promptune.json');
  const metadata = existsSync(sidecarPath)
    ? (JSON.parse(readFileSync(sidecarPath, 'utf8')) as AdapterMetadata)
    : undefined;
  const source = openSafetensors([tensorPath]);
  let values: Float32Array;
  let shape: number[];
  try {
    const name = source.names().find((candidate) => candidate.endsWith('prompt_embeddings'));
    if (!name)
      throw new WeightLoadError(`${tensorPath} has no prompt_embeddings tensor`, {
        code: 'ADAPTER_CORRUPT',
        hint: 'The adapter file is damaged; train or download it again.',
      });
    shape = source.shape(name);
    values = source.read(name);
  } finally {
    source.close();
  }
  const [virtualTokens, hiddenSize] = shape;
  if (shape.length !== 2 || virtualTokens !== config.num_virtual_tokens) {
    throw new WeightLoadError(
      `${tensorPath}: prompt_embeddings is [${shape}], the config says ${String(config.num_virtual_tokens)} virtual tokens`,
      { code: 'ADAPTER_CORRUPT', hint: 'The adapter files do not belong together.' },
    );
  }
  if (!options.force) {
    if (hiddenSize !== model.config.hiddenSize) {
      throw new ValidationError(
        `the adapter's vectors have ${hiddenSize} dimensions, the model ${model.config.hiddenSize}`,
        {
          code: 'ADAPTER_WRONG_MODEL',
          hint: `It was made for ${String(config.base_model_name_or_path)}; load that model.`,
        },
      );
    }
    if (metadata && metadata.baseModel.sha256 !== modelFingerprint(model)) {
      throw new ValidationError(
        `the adapter was trained on ${metadata.baseModel.name}, whose weights differ from this model's`,
        {
          code: 'ADAPTER_WRONG_MODEL',
          hint: 'Load the base model it was trained on, or pass --force to use it anyway.',
        },
      );
    }
  }
  return {
    prompt: { virtualTokens, hiddenSize, values, layout: metadata?.layout ?? 'peft' },
    config,
    metadata,
  };
}
