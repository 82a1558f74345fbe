// PEFT-compatible soft prompt artifacts: adapter_config.json (peft_type PROMPT_TUNING, or P_TUNING for a
// prompt a P-tuning encoder made: PEFT saves the encoder's output, so it loads the same way) and
// adapter_model.safetensors holding `prompt_embeddings` [N, C], plus promptune.json with what PEFT does
// not record: layout, base-model and tokenizer hashes, task, metrics, seed. Both JSON files are read
// through schemas (other fields PEFT writes pass untouched) and the vectors must be finite. Loading onto
// another base model is refused unless forced. Files are written via a temporary name, then renamed.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  NotFoundError,
  parseInput,
  readJsonFile,
  ValidationError,
  withEnvironmentErrors,
  WeightLoadError,
} from '../errors/index.js';
import {
  openSafetensors,
  writeFileAtomically,
  writeSafetensors,
  type LlamaModel,
  type Tokenizer,
  makeDirectory,
} from '../engine/index.js';
import { matchesFingerprint, modelFingerprint } from './model-fingerprint.js';
import { checkPromptFinite, type PromptLayout, type SoftPrompt } from './soft-prompt.js';

/** What promptune records beside PEFT's files. */
export interface AdapterMetadata {
  format: 'promptune-soft-prompt';
  /** What was trained (absent: prompt tuning, as before methods were recorded). */
  method?: 'prompt-tuning' | 'p-tuning' | 'lora' | 'prefix-tuning' | 'multitask-prompt-tuning';
  layout: PromptLayout;
  baseModel: { name: string; sha256: string };
  tokenizer?: { kind: string; sha256: string };
  init?: string;
  task?: string;
  /** A multitask prompt's tasks, by task id. */
  tasks?: string[];
  seed?: number;
  /** Scores of the run; a score that could not be computed (NaN) is written as null. */
  metrics?: Record<string, number | null>;
  training?: Record<string, unknown>;
  /** Per virtual token, the vocabulary tokens nearest it (nearestTokens), most similar first. */
  nearestTokens?: { text: string; cosine: number }[][];
  /**
   * The order of each head's query and key dimensions in a LoRA's or prefix's tensors: rotate-half (Hugging
   * Face's) as promptune writes them; absent, the order of the model it trained on (query-key-order.ts).
   */
  queryKeyOrder?: 'interleaved' | 'rotate-half';
}

/** How an adapter being saved names its base model. */
export interface BaseModelNames {
  /** For people: promptune.json's baseModel.name, printed where weights differ (stories260K.gguf, org/name). */
  baseModelName: string;
  /**
   * For PEFT: adapter_config.json's base_model_name_or_path, what AutoPeftModel loads (a hub id or an
   * absolute path); default baseModelName.
   */
  baseModelPath?: string;
}

/** adapter_config.json as far as it says which kind of adapter this is. */
const peftConfigSchema = z.looseObject({ peft_type: z.string() });

/** The fields of a prompt-tuning adapter_config.json that loading depends on. */
const promptTuningConfigSchema = z.looseObject({
  peft_type: z.enum(['PROMPT_TUNING', 'P_TUNING']),
  num_virtual_tokens: z.number().int().positive(),
  token_dim: z.number().int().positive().nullable().optional(),
  num_transformer_submodules: z.number().int().positive().nullable().optional(),
  base_model_name_or_path: z.string().nullable().optional(),
  task_type: z.string().nullable().optional(),
});

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

/** promptune.json, the sidecar. */
const metadataSchema = z.looseObject({
  format: z.literal('promptune-soft-prompt'),
  method: z
    .enum(['prompt-tuning', 'p-tuning', 'lora', 'prefix-tuning', 'multitask-prompt-tuning'])
    .optional(),
  layout: z.enum(['bos-first', 'peft']),
  baseModel: z.looseObject({ name: z.string(), sha256 }),
  tokenizer: z.looseObject({ kind: z.string(), sha256 }).optional(),
  init: z.string().optional(),
  task: z.string().optional(),
  tasks: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
  metrics: z.record(z.string(), z.number().nullable()).optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  nearestTokens: z.array(z.array(z.looseObject({ text: z.string(), cosine: z.number() }))).optional(),
  // the order of each head's query and key dimensions in the tensors (query-key-order.ts); LoRA and prefixes
  queryKeyOrder: z.enum(['interleaved', 'rotate-half']).optional(),
});

/**
 * The path of an adapter folder's tensor file, once its adapter_config.json and adapter_model.safetensors
 * are both there (ADAPTER_NOT_FOUND otherwise, naming `writer`: what writes such a folder).
 */
export function adapterTensorPath(directory: string, writer: string): string {
  const tensorPath = join(directory, 'adapter_model.safetensors');
  // PEFT's older pickle format (save_pretrained with safe_serialization=False): named, with the way out
  if (
    existsSync(join(directory, 'adapter_config.json')) &&
    !existsSync(tensorPath) &&
    existsSync(join(directory, 'adapter_model.bin'))
  )
    throw new ValidationError(
      `${directory} holds adapter_model.bin, PEFT's pickle format, which promptune does not read (it can run code)`,
      {
        code: 'ADAPTER_UNSUPPORTED',
        hint: 'Save it again as safetensors: in Python, PeftModel.from_pretrained(base, folder).save_pretrained(out) (safe_serialization is the default), then pass out.',
      },
    );
  if (!existsSync(join(directory, 'adapter_config.json')) || !existsSync(tensorPath))
    throw new NotFoundError(
      `${directory} is not an adapter folder (adapter_config.json and adapter_model.safetensors)`,
      { code: 'ADAPTER_NOT_FOUND', hint: `Pass the folder that ${writer} (or PEFT save_pretrained) wrote.` },
    );
  return tensorPath;
}

/**
 * Reads an adapter folder's adapter_config.json through `schema` (ADAPTER_NOT_FOUND, ADAPTER_CONFIG_INVALID);
 * one made for an encoder-decoder (num_transformer_submodules 2) is refused with ADAPTER_UNSUPPORTED, and
 * so, when `kinds` is given, is a peft_type not among them (before the schema reads the rest).
 */
export function readPeftConfig<Config extends object>(
  directory: string,
  schema: z.ZodType<Config>,
  kinds?: { types: readonly string[]; hint: string },
): Config {
  const path = join(directory, 'adapter_config.json');
  const source = {
    where: `adapter config ${path}`,
    code: 'ADAPTER_CONFIG_INVALID',
    hint: 'adapter_config.json is damaged; restore it from the training run (or PEFT save_pretrained), or train again.',
    notFoundCode: 'ADAPTER_NOT_FOUND',
    notFoundHint:
      'An adapter is a folder holding adapter_config.json: the --out of soft train (or of PEFT save_pretrained).',
  };
  const read = readJsonFile(path, z.unknown(), source);
  if (kinds) {
    const { peft_type: type } = parseInput(peftConfigSchema, read, source);
    if (!kinds.types.includes(type))
      throw new ValidationError(`${path}: peft_type is ${type}, not ${kinds.types.join(' or ')}`, {
        code: 'ADAPTER_UNSUPPORTED',
        hint: kinds.hint,
      });
  }
  const config = parseInput(schema, read, source);
  const { num_transformer_submodules: submodules } = config as { num_transformer_submodules?: unknown };
  if ((submodules ?? 1) !== 1)
    throw new ValidationError(
      `${path}: num_transformer_submodules is ${String(submodules)}; promptune runs decoder-only models (1)`,
      {
        code: 'ADAPTER_UNSUPPORTED',
        hint: 'This adapter was made for an encoder-decoder model; train one for a Llama-family decoder.',
      },
    );
  // a classifier's, an encoder-decoder's or a question answerer's adapter sits on a model with another head
  const { task_type: task } = config as { task_type?: unknown };
  if (typeof task === 'string' && !['CAUSAL_LM', 'FEATURE_EXTRACTION'].includes(task))
    throw new ValidationError(`${path}: task_type is ${task}; promptune runs causal language models`, {
      code: 'ADAPTER_UNSUPPORTED',
      hint: 'This adapter was trained for another kind of model head; train one with task_type CAUSAL_LM.',
    });
  return config;
}

/**
 * Reads an adapter folder's adapter_config.json: any PEFT adapter's config parses; one that is not
 * prompt tuning is refused (ADAPTER_UNSUPPORTED), and the fields loading needs are checked.
 */
export function readAdapterConfig(directory: string): z.output<typeof promptTuningConfigSchema> {
  return readPeftConfig(directory, promptTuningConfigSchema, {
    types: ['PROMPT_TUNING', 'P_TUNING'],
    hint: 'Only prompt-tuning and P-tuning adapters are soft prompts; load LoRA and prefix-tuning folders with loadTrainedAdapter.',
  });
}

/** Reads an adapter folder's promptune.json, or undefined when the folder has none (a PEFT adapter). */
export function readAdapterMetadata(directory: string): AdapterMetadata | undefined {
  const path = join(directory, 'promptune.json');
  if (!existsSync(path)) return undefined;
  return readJsonFile(path, metadataSchema, {
    where: `adapter metadata ${path}`,
    code: 'ADAPTER_METADATA_INVALID',
    hint: "promptune.json is damaged; restore it from the training run, or train again (without it the vectors would be placed in PEFT's layout, which may not be the one they were trained in).",
  });
}

/** How many values an adapter folder's tensor file holds (what a service keeps for it, before caches). */
export function adapterValueCount(directory: string): number {
  const tensors = openSafetensors([adapterTensorPath(directory, 'soft train')]);
  try {
    return tensors.names().reduce((sum, name) => sum + tensors.shape(name).reduce((a, b) => a * b, 1), 0);
  } finally {
    tensors.close();
  }
}

/** A loaded adapter. */
export interface LoadedAdapter {
  prompt: SoftPrompt;
  config: Record<string, unknown>;
  metadata: AdapterMetadata | undefined;
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

// PEFT refuses a TEXT init without a tokenizer it can load (PromptTuningConfig.__post_init__), and the
// saved vectors are what a load uses, so a prompt started from words is written as RANDOM; promptune.json
// records the init that was used.
const peftInit: Record<string, string> = {
  random: 'RANDOM',
  normal: 'RANDOM',
  'sample-vocab': 'SAMPLE_VOCAB',
};

/** The adapter_config.json PEFT writes for a prompt of `virtualTokens` vectors of `hiddenSize` on `model`. */
export function promptTuningConfig(
  model: LlamaModel,
  prompt: { virtualTokens: number; hiddenSize: number },
  baseModelPath: string,
  init: string | undefined,
): Record<string, unknown> {
  return {
    auto_mapping: null,
    base_model_name_or_path: baseModelPath,
    inference_mode: true,
    num_attention_heads: model.config.heads,
    num_layers: model.config.layers,
    num_transformer_submodules: 1,
    num_virtual_tokens: prompt.virtualTokens,
    peft_type: 'PROMPT_TUNING',
    prompt_tuning_init: peftInit[init ?? 'random'] ?? 'RANDOM',
    prompt_tuning_init_text: null,
    revision: null,
    task_type: 'CAUSAL_LM',
    token_dim: prompt.hiddenSize,
    tokenizer_kwargs: null,
    tokenizer_name_or_path: null,
  };
}

/** Writes an adapter folder's three files, each via a temporary name, then renamed. */
export function writeAdapterFiles(
  directory: string,
  tensors: Record<string, { shape: number[]; data: Float32Array }>,
  config: Record<string, unknown>,
  sidecar: AdapterMetadata,
): void {
  // a folder this user may not write, a file in the way, a full disk: coded, for code that saves
  withEnvironmentErrors(() => {
    makeDirectory(directory);
    writeSafetensors(join(directory, 'adapter_model.safetensors'), tensors, { format: 'pt' });
    for (const [name, value] of [
      ['adapter_config.json', config],
      ['promptune.json', sidecar],
    ] as const) {
      writeFileAtomically(join(directory, name), JSON.stringify(value, null, 2) + '\n');
    }
  });
}

/** Writes the adapter folder (each file via a temporary name, then renamed). */
export function saveAdapter(
  directory: string,
  prompt: SoftPrompt,
  model: LlamaModel,
  metadata: Omit<AdapterMetadata, 'format' | 'layout' | 'baseModel'> &
    BaseModelNames & {
      /** The hidden size of the P-tuning encoder that made the prompt: the config says P_TUNING. */
      encoderHidden?: number;
      /** That encoder's kind (default MLP); an LSTM has PEFT's two layers. */
      encoderKind?: 'MLP' | 'LSTM';
    },
): void {
  // a prompt that is not finite is never written: it would be refused on every load
  checkPromptFinite(prompt.values, prompt.hiddenSize, `the soft prompt to save in ${directory}`, {
    hint: 'Training diverged; lower the learning rate or clip the gradient, and train again.',
  });
  const { baseModelName, baseModelPath, encoderHidden, encoderKind, ...rest } = metadata;
  const config = promptTuningConfig(model, prompt, baseModelPath ?? baseModelName, metadata.init);
  const peftConfig =
    encoderHidden === undefined
      ? config
      : {
          ...Object.fromEntries(
            Object.entries(config).filter(
              ([key]) => !key.startsWith('prompt_tuning_init') && !key.startsWith('tokenizer_'),
            ),
          ),
          peft_type: 'P_TUNING',
          encoder_reparameterization_type: encoderKind ?? 'MLP',
          encoder_hidden_size: encoderHidden,
          encoder_num_layers: 2,
          encoder_dropout: 0,
        };
  writeAdapterFiles(
    directory,
    { prompt_embeddings: { shape: [prompt.virtualTokens, prompt.hiddenSize], data: prompt.values } },
    peftConfig,
    {
      format: 'promptune-soft-prompt',
      layout: prompt.layout,
      baseModel: { name: baseModelName, sha256: modelFingerprint(model) },
      ...rest,
    },
  );
}

/**
 * The `prompt_embeddings` tensor of an adapter file (PEFT saves prompt tuning, P-tuning and prefix tuning
 * under that name): `check` sees its shape before its values are read, and throws on a wrong one.
 */
export function readPromptEmbeddings(
  tensorPath: string,
  check: (shape: number[]) => void,
): { shape: number[]; values: Float32Array } {
  const source = openSafetensors([tensorPath]);
  try {
    const name = source.names().find((candidate) => candidate.endsWith('prompt_embeddings'));
    if (!name)
      throw new WeightLoadError(`${tensorPath} has no prompt_embeddings tensor`, {
        code: 'ADAPTER_CORRUPT',
        hint: 'The adapter file is damaged; train or download it again.',
      });
    // PEFT saves a prompt (or a prefix) as this one tensor: another one would be ignored in silence
    const other = source.names().find((candidate) => candidate !== name);
    if (other)
      throw new WeightLoadError(
        `${tensorPath} holds ${other} beside ${name}, which this adapter does not use`,
        {
          code: 'ADAPTER_CORRUPT',
          hint: 'The adapter file is not what its adapter_config.json describes; train or download it again.',
        },
      );
    const shape = source.shape(name);
    check(shape);
    return { shape, values: source.read(name) };
  } finally {
    source.close();
  }
}

/**
 * Reads and checks an adapter folder without a model: its config and metadata through their schemas,
 * its prompt_embeddings tensor against the config's size, every value finite. PEFT adapters without
 * promptune.json use PEFT's layout.
 */
export function readAdapterFolder(directory: string): LoadedAdapter {
  const tensorPath = adapterTensorPath(directory, 'promptune soft train --out');
  const config = readAdapterConfig(directory);
  const metadata = readAdapterMetadata(directory);
  const { shape, values } = readPromptEmbeddings(tensorPath, (shape) => {
    if (shape.length !== 2 || shape[0] !== config.num_virtual_tokens) {
      throw new WeightLoadError(
        `${tensorPath}: prompt_embeddings is [${shape}], the config says ${config.num_virtual_tokens} virtual tokens`,
        { code: 'ADAPTER_CORRUPT', hint: 'The adapter files do not belong together.' },
      );
    }
    if (config.token_dim != null && config.token_dim !== shape[1]) {
      throw new WeightLoadError(
        `${tensorPath}: prompt_embeddings is [${shape}], the config says token_dim ${config.token_dim}`,
        { code: 'ADAPTER_CORRUPT', hint: 'The adapter files do not belong together.' },
      );
    }
  });
  const [virtualTokens, hiddenSize] = shape;
  checkPromptFinite(values, hiddenSize, `${tensorPath}: tensor prompt_embeddings`, {
    hint: 'The adapter holds NaN or infinite values (a diverged run, or a damaged file); train it again.',
  });
  return {
    prompt: { virtualTokens, hiddenSize, values, layout: metadata?.layout ?? 'peft' },
    config,
    metadata,
  };
}

/**
 * Reads an adapter folder for `model` (readAdapterFolder's checks). A prompt made for another model
 * (different hidden size, or a different weight fingerprint) is refused unless `force`.
 */
export function loadAdapter(
  directory: string,
  model: LlamaModel,
  options: { force?: boolean } = {},
): LoadedAdapter {
  const loaded = readAdapterFolder(directory);
  const { config, metadata } = loaded;
  const { hiddenSize } = loaded.prompt;
  if (!options.force) {
    if (hiddenSize !== model.config.hiddenSize) {
      throw new ValidationError(
        `the adapter's vectors have ${hiddenSize} dimensions, the model ${model.config.hiddenSize}`,
        {
          code: 'ADAPTER_WRONG_MODEL',
          hint: `It was made for ${config.base_model_name_or_path ?? 'another model'}; load that model.`,
        },
      );
    }
    checkBaseModel(metadata, model);
  }
  return loaded;
}

/**
 * Refuses an adapter (or a fine-tuned model) whose promptune.json names other weights than `model`'s
 * (ADAPTER_WRONG_MODEL).
 */
export function checkBaseModel(
  metadata: { baseModel: { name: string; sha256: string } } | undefined,
  model: LlamaModel,
): void {
  if (metadata && !matchesFingerprint(model, metadata.baseModel.sha256)) {
    throw new ValidationError(
      `the adapter was trained on ${metadata.baseModel.name}, whose weights differ from this model's`,
      {
        code: 'ADAPTER_WRONG_MODEL',
        hint: 'Load the base model it was trained on (soft eval, soft generate and registry push --adapter take --force to use it anyway).',
      },
    );
  }
}
