// LoRA adapters in PEFT's format: adapter_config.json (peft_type LORA) and adapter_model.safetensors with
// `base_model.model.model.layers.<l>.<self_attn|mlp>.<module>.lora_<A|B>.weight` (a multimodal Gemma 3's:
// `…model.language_model.layers…`), plus promptune.json.
// The module names are a table (Llama-family names, and Phi-3's fused qkv_proj and gate_up_proj:
// lora-fused.ts); modules with their own rank or alpha (rank_pattern, alpha_pattern: lora-patterns.ts)
// load as pairs of one rank. An adapter on anything else, or using what the engine does not run (DoRA,
// biases, whole modules saved), is refused with a code, never half-loaded. A new adapter starts as
// PEFT's does: A Kaiming-uniform, B zero.
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError, WeightLoadError } from '../errors/index.js';
import {
  adaptedProjections,
  checkAdapterFits,
  firstNonFinite,
  openSafetensors,
  projectionShape,
  PROJECTIONS,
  type LlamaModel,
  type LowRankAdapter,
  type ModelConfig,
  type LowRankPair,
  type Projection,
  type Random,
} from '../engine/index.js';
import {
  adapterTensorPath,
  checkBaseModel,
  readAdapterMetadata,
  readPeftConfig,
  writeAdapterFiles,
  type AdapterMetadata,
} from './peft-adapter.js';
import {
  fusedModuleNamed,
  fusedModulesOf,
  fusedRows,
  fusePairs,
  splitFusedPair,
  widenPair,
  type FusedModule,
  type RankedPair,
} from './lora-fused.js';
import { checkLoraPatterns, moduleRankAndAlpha } from './lora-patterns.js';
import { loraWidthDisagreement, type LoraWidth } from './lora-widths.js';
import { modelFingerprint } from './model-fingerprint.js';
import { loraInOrder, modelQueryKeyOrder, storedQueryKeyOrder } from './query-key-order.js';

/** Each projection's Hugging Face module path inside a layer (Llama, Mistral, Qwen, SmolLM, Gemma). */
const MODULES: Record<Projection, string> = {
  query: 'self_attn.q_proj',
  key: 'self_attn.k_proj',
  value: 'self_attn.v_proj',
  attentionOutput: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
};
const moduleName = (projection: Projection) => MODULES[projection].split('.')[1];
/** The projection of a module path inside a layer (self_attn.q_proj: query). */
const projectionOfModule = new Map(PROJECTIONS.map((projection) => [MODULES[projection], projection]));

/** The projections a LoRA adapter targets by default: attention and MLP, as the issue and QLoRA do. */
export const DEFAULT_LORA_TARGETS: readonly Projection[] = PROJECTIONS;

/** The fields of a LoRA adapter_config.json that loading depends on; other fields PEFT writes pass. */
const loraConfigSchema = z.looseObject({
  peft_type: z.literal('LORA'),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  target_modules: z
    .union([z.array(z.string()), z.string()])
    .nullable()
    .optional(),
  exclude_modules: z
    .union([z.array(z.string()), z.string()])
    .nullable()
    .optional(),
  use_rslora: z.boolean().optional(),
  use_dora: z.boolean().optional(),
  fan_in_fan_out: z.boolean().optional(),
  bias: z.string().optional(),
  rank_pattern: z.record(z.string(), z.unknown()).nullable().optional(),
  alpha_pattern: z.record(z.string(), z.unknown()).nullable().optional(),
  modules_to_save: z.array(z.string()).nullable().optional(),
  layers_to_transform: z
    .union([z.number().int(), z.array(z.number().int())])
    .nullable()
    .optional(),
  base_model_name_or_path: z.string().nullable().optional(),
});
/** A LoRA adapter_config.json as read (the fields loading depends on, and any others PEFT wrote). */
export type LoraConfig = z.output<typeof loraConfigSchema>;

const unsupported = (path: string, what: string, hint: string) =>
  new ValidationError(`${path}: ${what}`, { code: 'ADAPTER_UNSUPPORTED', hint });

/** Reads and checks a LoRA adapter_config.json (ADAPTER_CONFIG_INVALID, ADAPTER_UNSUPPORTED). */
export function readLoraConfig(directory: string): LoraConfig {
  const path = join(directory, 'adapter_config.json');
  const config = readPeftConfig(directory, loraConfigSchema);
  const retrain = 'Train the adapter without it (promptune soft train --method lora writes a plain one).';
  if (config.use_dora) throw unsupported(path, 'it is a DoRA adapter (use_dora)', retrain);
  if (config.fan_in_fan_out) throw unsupported(path, 'fan_in_fan_out is set (GPT-2 style Conv1D)', retrain);
  if (config.bias && config.bias !== 'none') throw unsupported(path, `bias is ${config.bias}`, retrain);
  checkLoraPatterns(config, path);
  if (config.modules_to_save?.length)
    throw unsupported(path, `it also saves whole modules (${config.modules_to_save.join(', ')})`, retrain);
  // what PEFT would compute otherwise: a layer stack rearranged, biases on the products, token rows trained
  const extra = config as Record<string, unknown>;
  // set: neither absent, false, nor empty (PEFT writes loftq_config {} and layer_replication null by default)
  const given = (value: unknown) =>
    value !== undefined &&
    value !== null &&
    value !== false &&
    !(typeof value === 'object' && Object.keys(value).length === 0);
  if (given(extra.layer_replication))
    throw unsupported(path, 'it replicates layers (layer_replication)', retrain);
  if (given(extra.lora_bias)) throw unsupported(path, 'its lora_B has a bias (lora_bias)', retrain);
  if (given(extra.trainable_token_indices))
    throw unsupported(path, 'it also trains embedding rows (trainable_token_indices)', retrain);
  // PiSSA, OLoRA, CorDA and LoftQ starts change the base weights themselves: the adapter alone is not the change
  const init = extra.init_lora_weights;
  if ((typeof init === 'string' && /^(pissa|olora|corda|loftq)/i.test(init)) || given(extra.loftq_config))
    throw unsupported(
      path,
      `it was started by ${typeof init === 'string' ? init : 'LoftQ'}, which changes the base weights too`,
      "Save it converted to a plain LoRA (PEFT's save_pretrained with path_initial_model_for_weight_conversion), or train one with promptune soft train --method lora.",
    );
  // the product is scaled in float32: an alpha past its range would make every output infinite
  if (!Number.isFinite(Math.fround(loraScale(config))))
    throw new ValidationError(
      `${path}: lora_alpha ${config.lora_alpha} scales the product past float32's range`,
      {
        code: 'ADAPTER_CONFIG_INVALID',
        hint: 'adapter_config.json is damaged; restore it from the training run (alpha is usually 1 to 4 x r).',
      },
    );
  return config;
}

/**
 * Why the config would not adapt `module` (self_attn.q_proj …) of `layer`, as PEFT matches its
 * target_modules and exclude_modules (names that end the module's path, or a pattern its whole path
 * matches, or all-linear) and layers_to_transform; undefined when it would, or when a pattern is not
 * one JavaScript reads alike.
 */
function configDisagreement(config: LoraConfig, layer: number, module: string): string | undefined {
  const path = `model.layers.${layer}.${module}`;
  const targets = config.target_modules;
  if (targets !== 'all-linear' && namesModule(targets, path) === false)
    return typeof targets === 'string'
      ? `adapts ${path}, which target_modules ("${targets}") does not match`
      : `adapts ${module}, which target_modules (${JSON.stringify(targets)}) does not name`;
  const excluded = config.exclude_modules;
  // PEFT reads an empty list or string as no exclusion
  if (excluded?.length && namesModule(excluded, path))
    return `adapts ${path}, which exclude_modules (${JSON.stringify(excluded)}) leaves out`;
  const layers = config.layers_to_transform;
  if (layers !== undefined && layers !== null && !(Array.isArray(layers) ? layers : [layers]).includes(layer))
    return `adapts layer ${layer}, which layers_to_transform (${JSON.stringify(layers)}) leaves out`;
  return undefined;
}

/**
 * Whether PEFT's module names (a list: each the whole path or the end of it after a dot; a string: a
 * pattern the whole path matches) name `path`; undefined for none given or a pattern JavaScript cannot
 * read (it is not judged).
 */
function namesModule(names: string[] | string | null | undefined, path: string): boolean | undefined {
  if (Array.isArray(names)) return names.some((name) => path === name || path.endsWith(`.${name}`));
  if (typeof names !== 'string') return undefined;
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^(?:${names})$`);
  } catch {
    return undefined;
  }
  return pattern.test(path) || pattern.test(`base_model.model.${path}`);
}

/** The scale of the low-rank product: alpha / r, or alpha / sqrt(r) for rank-stabilized LoRA. */
export const loraScale = (config: Pick<LoraConfig, 'r' | 'lora_alpha' | 'use_rslora'>): number =>
  config.use_rslora ? config.lora_alpha / Math.sqrt(config.r) : config.lora_alpha / config.r;

/** A loaded LoRA adapter folder. */
export interface LoadedLora {
  adapter: LowRankAdapter;
  config: LoraConfig;
  metadata: AdapterMetadata | undefined;
  /** The modules the file adapts in each of its layers, as PEFT names them (self_attn.qkv_proj …). */
  modules: string[][];
}

/** Layers an adapter may name: more than any model the engine runs (bounds what a file can make us allocate). */
const MAX_LAYERS = 1024;

// the decoder layers of a causal LM (model.layers), or of a multimodal Gemma 3's text model
// (model.language_model.layers in transformers 5, language_model.model.layers before); the module's
// path as PEFT matches it (rank_pattern) is the first group
const tensorName =
  /^(?:base_model\.model\.)?((?:model\.|model\.language_model\.|language_model\.model\.)layers\.(\d+)\.(self_attn|mlp)\.(\w+))\.lora_([AB])(?:\.default)?\.weight$/;

/** One module's matrices as a file holds them. */
interface HeldModule {
  layer: number;
  module: string; // self_attn.q_proj, self_attn.qkv_proj …
  path: string; // model.layers.0.self_attn.q_proj
  rank: number;
  a?: Float32Array;
  b?: Float32Array;
  names: Partial<Record<'A' | 'B', string>>;
}

/**
 * Reads and checks a LoRA adapter folder: its config, every tensor a LoRA matrix of a known projection
 * (or of Phi-3's fused qkv_proj and gate_up_proj, split into their parts: lora-fused.ts) with its
 * module's rank, each A with its B, widths that fit a model together (lora-widths.ts), every value
 * finite. Modules with their own rank or alpha (rank_pattern, alpha_pattern) become pairs of the
 * adapter's largest rank, each scale folded into its B: the same products. Its layers run to the last
 * one it adapts; loadLoraAdapter fits them to a model, whose config (`modelConfig`) gives a fused
 * module's parts their rows (without one: fusedRows' rule).
 */
export function readLoraFolder(directory: string, modelConfig?: ModelConfig): LoadedLora {
  const tensorPath = adapterTensorPath(directory, 'promptune soft train --method lora');
  const config = readLoraConfig(directory);
  const metadata = readAdapterMetadata(directory);
  const corrupt = (what: string) =>
    new WeightLoadError(`${tensorPath}: ${what}`, {
      code: 'ADAPTER_CORRUPT',
      hint: 'The adapter file is damaged or made for another model; train or download it again.',
    });
  const held = new Map<string, HeldModule>();
  const widths: LoraWidth[] = [];
  const source = openSafetensors([tensorPath]);
  try {
    for (const name of source.names()) {
      const match = tensorName.exec(name);
      const module = match ? `${match[3]}.${match[4]}` : '';
      if (!match || (!projectionOfModule.has(module) && !fusedModuleNamed(module)))
        throw unsupported(
          tensorPath,
          `tensor ${name} is not a LoRA matrix of a Llama-family projection`,
          "Only adapters on q/k/v/o_proj and gate/up/down_proj of a Llama-family model (Phi-3's qkv_proj and gate_up_proj) load.",
        );
      // bounded before anything is sized by it: no model this engine runs has more layers
      const layer = Number(match[2]);
      if (layer >= MAX_LAYERS)
        throw corrupt(`tensor ${name} names layer ${match[2]}; no model has ${MAX_LAYERS} layers`);
      const disagreement = configDisagreement(config, layer, module);
      if (disagreement)
        throw new ValidationError(`${tensorPath}: tensor ${name} ${disagreement}`, {
          code: 'ADAPTER_CONFIG_INVALID',
          hint: 'adapter_config.json and the weights disagree: restore the config from the training run (or PEFT save_pretrained).',
        });
      const { rank } = moduleRankAndAlpha(config, match[1]);
      const side = match[5] as 'A' | 'B';
      const shape = source.shape(name);
      const rankAt = side === 'A' ? 0 : 1;
      if (shape.length !== 2 || shape[rankAt] !== rank)
        throw corrupt(
          `tensor ${name} is [${shape}]; lora_${side} of rank ${rank} is [${side === 'A' ? 'r, in' : 'out, r'}]`,
        );
      const projection = projectionOfModule.get(module);
      if (projection)
        widths.push({ tensor: name, projection, side: side === 'A' ? 'in' : 'out', size: shape[1 - rankAt] });
      const values = source.read(name);
      const bad = firstNonFinite(values);
      if (bad >= 0) throw corrupt(`tensor ${name} holds ${values[bad]} at ${bad}`);
      const key = `${layer}.${module}`;
      const entry = held.get(key) ?? { layer, module, path: match[1], rank, names: {} };
      if (entry.names[side])
        throw corrupt(`tensor ${name} holds layer ${layer} ${module}.lora_${side} a second time`);
      entry.names[side] = name;
      entry[side === 'A' ? 'a' : 'b'] = values;
      held.set(key, entry);
    }
  } finally {
    source.close();
  }
  if (held.size === 0) throw corrupt('it holds no LoRA matrices');
  const configPath = join(directory, 'adapter_config.json');
  const pairs = heldPairs([...held.values()], { config, configPath }, widths, corrupt, modelConfig);
  const disagreement = loraWidthDisagreement(widths);
  if (disagreement) throw corrupt(`${disagreement}, so it fits no model`);
  // one rank and one scale for all: the largest rank, each module's own scale folded into its B
  const rank = Math.max(...pairs.map(({ pair }) => pair.rank));
  const scale = loraScale(config);
  const lastLayer = Math.max(...pairs.map((entry) => entry.layer));
  const layers: Partial<Record<Projection, LowRankPair>>[] = Array.from(
    { length: lastLayer + 1 },
    () => ({}),
  );
  for (const { layer, projection, pair, scale: own, inFeatures } of pairs)
    layers[layer][projection] = widenPair(pair, rank, inFeatures, own / scale);
  const modules = layers.map((_, layer) =>
    [...held.values()].filter((entry) => entry.layer === layer).map((entry) => entry.module),
  );
  return { adapter: { rank, scale, layers }, config, metadata, modules };
}

/**
 * Each held module's pair (a fused module's split into its parts: their out widths join `widths`), with
 * its rank, scale and input width; a module without its partner matrix, a projection held twice (as
 * q_proj and within qkv_proj), or a fused module whose rows do not split is refused; so is a module's
 * own alpha past float32's range (ADAPTER_CONFIG_INVALID, naming `configPath`, as lora_alpha's is).
 */
function heldPairs(
  held: HeldModule[],
  { config, configPath }: { config: LoraConfig; configPath: string },
  widths: LoraWidth[],
  corrupt: (what: string) => Error,
  modelConfig: ModelConfig | undefined,
) {
  const pairs: {
    layer: number;
    projection: Projection;
    pair: RankedPair;
    scale: number;
    inFeatures: number;
  }[] = [];
  for (const entry of held) {
    const { a, b, rank, layer } = entry;
    if (!a || !b)
      throw corrupt(`layer ${layer} ${entry.module} has lora_${a ? 'A' : 'B'} but not its partner`);
    const { alpha } = moduleRankAndAlpha(config, entry.path);
    const scale = loraScale({ r: rank, lora_alpha: alpha, use_rslora: config.use_rslora });
    if (!Number.isFinite(Math.fround(scale / loraScale(config))))
      throw new ValidationError(
        `${configPath}: alpha_pattern's alpha ${alpha} for ${entry.path} scales its product past float32's range`,
        {
          code: 'ADAPTER_CONFIG_INVALID',
          hint: 'adapter_config.json is damaged; restore it from the training run (alpha is usually 1 to 4 x r).',
        },
      );
    const inFeatures = a.length / rank;
    const fused = fusedModuleNamed(entry.module);
    // PEFT adapts only the modules a model has: a fused module's adapter is not another model's
    if (fused && modelConfig && !fusedModulesOf(modelConfig).includes(fused))
      throw new ValidationError(
        `the LoRA adapter adapts ${entry.module}, which a ${modelConfig.architecture} model does not have (Phi-3 fuses its projections so)`,
        { code: 'ADAPTER_SHAPE', hint: 'Use the adapter with the base model it was trained on.' },
      );
    let parts: Partial<Record<Projection, RankedPair>> = {
      [projectionOfModule.get(entry.module)!]: { a, b, rank },
    };
    if (fused) {
      const rows = fusedRows(fused, inFeatures, b.length / rank, modelConfig);
      if (!rows)
        throw new ValidationError(
          `the LoRA adapter's ${entry.names.B} has ${b.length / rank} rows, which do not split into ${fused.parts.join(', ')}${modelConfig ? ` of this ${modelConfig.architecture} model` : ''}`,
          { code: 'ADAPTER_SHAPE', hint: 'Use the adapter with the base model it was trained on.' },
        );
      fused.parts.forEach((part, index) =>
        widths.push(
          { tensor: entry.names.A!, projection: part, side: 'in', size: inFeatures },
          { tensor: entry.names.B!, projection: part, side: 'out', size: rows[index] },
        ),
      );
      parts = splitFusedPair(fused, { a, b, rank }, inFeatures, rows);
    }
    for (const [projection, pair] of Object.entries(parts) as [Projection, RankedPair][]) {
      if (pairs.some((other) => other.layer === layer && other.projection === projection))
        throw corrupt(
          `it adapts layer ${layer}'s ${MODULES[projection]} twice (on its own and within a fused module)`,
        );
      pairs.push({ layer, projection, pair, scale, inFeatures });
    }
  }
  return pairs;
}

/**
 * Reads a LoRA adapter folder for `model` (readLoraFolder's checks), its matrices fitting the model's
 * layers and projections; one made for other weights (promptune.json's fingerprint) is refused unless
 * `force`.
 */
export function loadLoraAdapter(
  directory: string,
  model: LlamaModel,
  options: { force?: boolean } = {},
): LoadedLora {
  const loaded = readLoraFolder(directory, model.config);
  const { adapter, metadata } = loaded;
  if (!options.force) checkBaseModel(metadata, model);
  // PEFT may adapt only some layers (layers_to_transform): the rest run frozen
  if (adapter.layers.length > model.config.layers)
    throw new ValidationError(
      `the LoRA adapter adapts layer ${adapter.layers.length - 1}; the model has ${model.config.layers}`,
      {
        code: 'ADAPTER_SHAPE',
        hint: 'Use the adapter with the base model it was trained on.',
      },
    );
  const held = adapter.layers.length;
  while (adapter.layers.length < model.config.layers) adapter.layers.push({});
  checkAdapterFits(adapter, model);
  const missing = missingModules(loaded.config, loaded.modules, model.config);
  // nothing past its last layer, where the config would adapt every layer: a shallower model's adapter
  if (missing.length && missing.every((where) => Number(/^layer (\d+)/.exec(where)?.[1]) >= held))
    throw new ValidationError(
      `the LoRA adapter adapts ${held} layer${held === 1 ? '' : 's'} and its config every layer; the model has ${model.config.layers}`,
      {
        code: 'ADAPTER_SHAPE',
        hint: `Use the adapter with the base model it was trained on${loaded.config.base_model_name_or_path ? ` (its config names ${loaded.config.base_model_name_or_path})` : ''}.`,
      },
    );
  if (missing.length)
    throw new WeightLoadError(
      `${directory}: the config adapts ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}, whose LoRA matrices the file does not hold`,
      {
        code: 'ADAPTER_CORRUPT',
        hint: 'The adapter file is incomplete (or its config is not its own); train or download it again.',
      },
    );
  // the query and key products' rows as the model runs them (a llama's GGUF interleaves them)
  const order = storedQueryKeyOrder(metadata, model);
  return { ...loaded, adapter: loraInOrder(adapter, model, order, modelQueryKeyOrder(model)) };
}

/**
 * The modules the config adapts (target_modules in layers_to_transform, less exclude_modules) of the
 * model's (a Phi-3's fused ones in place of their parts) in each layer of the model that the file holds
 * no LoRA pair of: "layer 4 self_attn.q_proj". A pattern JavaScript cannot read is not judged.
 */
function missingModules(config: LoraConfig, held: string[][], modelConfig: ModelConfig): string[] {
  const fused = fusedModulesOf(modelConfig);
  const modules = [
    ...PROJECTIONS.filter((projection) => !fused.some((entry) => entry.parts.includes(projection))).map(
      (projection) => MODULES[projection],
    ),
    ...fused.map((entry) => entry.module),
  ];
  const missing: string[] = [];
  for (let layer = 0; layer < modelConfig.layers; layer++)
    for (const module of modules) {
      const path = `model.layers.${layer}.${module}`;
      const targets = config.target_modules;
      const targeted = targets === 'all-linear' || namesModule(targets, path) === true;
      // an exclude_modules pattern JavaScript cannot read is not judged either
      const excluded = config.exclude_modules;
      const unread =
        typeof excluded === 'string' && excluded !== '' && namesModule(excluded, path) === undefined;
      if (targeted && !unread && !configDisagreement(config, layer, module) && !held[layer]?.includes(module))
        missing.push(`layer ${layer} ${module}`);
    }
  return missing;
}

/** What a new adapter is: its rank, alpha and targets. */
export interface LoraOptions {
  rank?: number; // default 8
  alpha?: number; // default 2 * rank
  targets?: readonly Projection[]; // default every projection
  rankStabilized?: boolean; // scale alpha / sqrt(r) (rsLoRA); default false
}

/** A new adapter as PEFT starts one: A uniform in ±1/sqrt(in) (Kaiming, a = sqrt 5), B zero. */
export function initLoraAdapter(model: LlamaModel, options: LoraOptions, random: Random): LowRankAdapter {
  const rank = options.rank ?? 8;
  const alpha = options.alpha ?? 2 * rank;
  if (!Number.isInteger(rank) || rank < 1 || !(alpha > 0))
    throw new ValidationError(`LoRA rank ${rank}, alpha ${alpha}`, {
      code: 'LORA_OPTIONS',
      hint: 'Use a whole rank >= 1 (8-32 is usual) and a positive alpha (often 2 x rank).',
    });
  const targets = options.targets ?? DEFAULT_LORA_TARGETS;
  const layers = Array.from({ length: model.config.layers }, () => {
    const layer: Partial<Record<Projection, LowRankPair>> = {};
    for (const projection of targets) {
      const [inFeatures, outFeatures] = projectionShape(model.config, projection);
      const bound = 1 / Math.sqrt(inFeatures);
      const a = Float32Array.from({ length: rank * inFeatures }, () => (random() * 2 - 1) * bound);
      layer[projection] = { a, b: new Float32Array(outFeatures * rank) };
    }
    return layer;
  });
  return {
    rank,
    scale: loraScale({ r: rank, lora_alpha: alpha, use_rslora: options.rankStabilized }),
    layers,
  };
}

/**
 * The adapter's matrices in PEFT's tensor names, for the model of `config` (default: a causal LM's
 * `model.layers`, no fused modules): a Phi-3's q, k and v (gate and up) as one qkv_proj (gate_up_proj)
 * pair of rank parts x r (lora-fused.ts).
 */
export function loraTensors(
  adapter: LowRankAdapter,
  config?: ModelConfig,
): Record<string, { shape: number[]; data: Float32Array }> {
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  const fused = config ? fusedModulesOf(config) : [];
  adapter.layers.forEach((layer, l) => {
    const add = (module: string, pair: LowRankPair, rank: number) => {
      const prefix = `base_model.model.${config?.layersModule ?? 'model.layers'}.${l}.${module}`;
      tensors[`${prefix}.lora_A.weight`] = { shape: [rank, pair.a.length / rank], data: pair.a };
      tensors[`${prefix}.lora_B.weight`] = { shape: [pair.b.length / rank, rank], data: pair.b };
    };
    for (const projection of PROJECTIONS) {
      const pair = layer[projection];
      if (pair && !fused.some((entry) => entry.parts.includes(projection)))
        add(MODULES[projection], pair, adapter.rank);
    }
    for (const entry of fused) {
      if (!entry.parts.some((part) => layer[part])) continue;
      const rows = entry.parts.map((part) => projectionShape(config!, part)[1]);
      const pair = fusePairs(entry, layer, adapter.rank, config!.hiddenSize, rows);
      add(entry.module, pair, pair.rank);
    }
  });
  return tensors;
}

/**
 * The rank and alpha PEFT must give a fused module of `parts` parts, whose pair is of rank parts x r,
 * for its product to be scaled as each part's was (alpha / r, or alpha / sqrt(r) rank-stabilized).
 */
function fusedRankAndAlpha(fused: FusedModule, rank: number, alpha: number, rankStabilized: boolean) {
  const parts = fused.parts.length;
  return { rank: parts * rank, alpha: rankStabilized ? alpha * Math.sqrt(parts) : alpha * parts };
}

/** Writes a LoRA adapter folder PEFT loads (each file via a temporary name, then renamed). */
export function saveLoraAdapter(
  directory: string,
  adapter: LowRankAdapter,
  model: LlamaModel,
  metadata: Omit<AdapterMetadata, 'format' | 'layout' | 'baseModel'> & {
    baseModelName: string;
    /** PEFT's base_model_name_or_path (a hub id or absolute path; default baseModelName): BaseModelNames. */
    baseModelPath?: string;
    alpha: number;
    rankStabilized?: boolean;
    /** The lora_dropout it was trained with (default 0); serving never drops. */
    dropout?: number;
  },
): void {
  // written in Hugging Face's order of the query and key rows, which PEFT reads
  const tensors = loraTensors(
    loraInOrder(adapter, model, modelQueryKeyOrder(model), 'rotate-half'),
    model.config,
  );
  for (const [name, tensor] of Object.entries(tensors)) {
    const bad = firstNonFinite(tensor.data);
    if (bad >= 0)
      throw new ValidationError(
        `the LoRA adapter to save in ${directory} holds ${tensor.data[bad]} in ${name}`,
        {
          code: 'ADAPTER_NOT_FINITE',
          hint: 'Training diverged; lower the learning rate or clip the gradient, and train again.',
        },
      );
  }
  const { baseModelName, baseModelPath, alpha, rankStabilized, dropout, ...rest } = metadata;
  // a Phi-3's fused modules take their rank and alpha from the patterns (PEFT's names end their paths)
  const adapted = adaptedProjections(adapter);
  const fused = fusedModulesOf(model.config).filter((entry) =>
    entry.parts.some((part) => adapted.includes(part)),
  );
  const patterns = fused.map((entry) => ({
    name: entry.module.split('.')[1],
    ...fusedRankAndAlpha(entry, adapter.rank, alpha, rankStabilized ?? false),
  }));
  const targets = [
    ...adapted
      .filter((projection) => !fused.some((entry) => entry.parts.includes(projection)))
      .map(moduleName),
    ...patterns.map((pattern) => pattern.name),
  ];
  const config = {
    alpha_pattern: Object.fromEntries(patterns.map((pattern) => [pattern.name, pattern.alpha])),
    base_model_name_or_path: baseModelPath ?? baseModelName,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_to_transform: null,
    lora_alpha: alpha,
    lora_dropout: dropout ?? 0,
    modules_to_save: null,
    peft_type: 'LORA',
    r: adapter.rank,
    rank_pattern: Object.fromEntries(patterns.map((pattern) => [pattern.name, pattern.rank])),
    revision: null,
    target_modules: targets,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: rankStabilized ?? false,
  };
  const sidecar: AdapterMetadata = {
    format: 'promptune-soft-prompt',
    layout: 'peft',
    baseModel: { name: baseModelName, sha256: modelFingerprint(model) },
    ...rest,
    queryKeyOrder: 'rotate-half',
  };
  writeAdapterFiles(directory, tensors, config, sidecar);
}
