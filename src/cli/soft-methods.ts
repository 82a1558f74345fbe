// What `soft train --method` trains: a soft prompt (prompt tuning, or P-tuning: made by an MLP encoder, or
// multitask prompt tuning: a shared prompt scaled by the task's factors, possibly transferred from a
// multitask source), a key/value prefix (prefix tuning) or a LoRA adapter. Each method makes its
// initial parameters from the command's options, trains with the one trainer, scores examples and writes
// its PEFT-format folder (full fine-tuning: every weight of a copy of the model, saved as a whole model);
// soft.ts runs the rest (data, progress, the run record, --push) the same for all.
import { basename, resolve } from 'node:path';
import {
  keyValueWidth,
  seededRandom,
  type LlamaModel,
  type LoadedModel,
  type Projection,
} from '../engine/index.js';
import { PromptuneError, ValidationError } from '../errors/index.js';
import {
  adapterMethod,
  checkFullFineTuningSize,
  evaluatePrompt,
  hasBothOrders,
  initLoraAdapter,
  initPrefix,
  initPrefixProjection,
  initPromptEncoder,
  initMultitask,
  initSoftPrompt,
  loadMultitaskAdapter,
  type LoadedMultitask,
  modelFingerprint,
  modelQueryKeyOrder,
  multitaskTaskId,
  nearestTokens,
  parameterCount,
  noPrompt,
  saveAdapter,
  saveFineTunedModel,
  saveLoraAdapter,
  saveMultitaskAdapter,
  savePrefixAdapter,
  taskPrompt,
  transferMultitask,
  prefixPlaceholders,
  tokenizerFingerprint,
  trainFullAsync,
  trainLoraAsync,
  trainMultitaskAsync,
  trainPrefixAsync,
  trainPromptEncoderAsync,
  trainSoftPromptAsync,
  type AdapterMetadata,
  type MultitaskPrompt,
  type MultitaskTransfer,
  type PromptEvaluation,
  type PromptInit,
  type PromptLayout,
  type SoftPrompt,
  type TokenizedExample,
  type TrainedValues,
  type TrainOptions,
} from '../soft/index.js';
import { choice, listOption, numberOption } from './options.js';

/**
 * An encoder's hidden layer (P-tuning's, --prefix-projection's) at most this many times the width it
 * makes: past it the MLP is larger than the model it adapts (--encoder-hidden 100000 asked for 40 GB).
 */
const encoderWidthLimit = 16;

/** The methods `soft train` knows. */
export const METHODS = [
  'prompt-tuning',
  'p-tuning',
  'multitask-prompt-tuning',
  'prefix-tuning',
  'lora',
  'full-fine-tuning',
] as const;
export type Method = (typeof METHODS)[number];

/** Each method's name as the docs and tables write it. */
export const METHOD_NAMES: Record<Method, string> = {
  'prompt-tuning': 'prompt tuning',
  'p-tuning': 'P-tuning',
  'multitask-prompt-tuning': 'multitask prompt tuning',
  'prefix-tuning': 'prefix tuning',
  lora: 'LoRA',
  'full-fine-tuning': 'full fine-tuning',
};

/** A method made ready from the options: what it records, and how it trains. */
export interface MethodPlan {
  method: Method;
  /** Positions a prompt takes in every example (0 for methods that change the model instead). */
  virtualTokens: number;
  /** The learning rate when --lr is not given. */
  defaultLearningRate: number;
  /** What the run record and the adapter's training metadata say about the method. */
  config: Record<string, unknown>;
  /**
   * What a checkpoint must agree on besides: for a LoRA or a prefix on a llama, the order its query and
   * key values are trained in (its GGUF interleaves them, its Hugging Face copy not). A checkpoint holds
   * them as the model ran them; adapter files are converted (query-key-order.ts).
   */
  checkpointOnly?: Record<string, unknown>;
  /** Words for the summary line: "soft prompt (16 virtual tokens)". */
  describe: string;
  train(train: TokenizedExample[], dev: TokenizedExample[], options: TrainOptions): Promise<TrainedMethod>;
}

/** A trained method: its result, scoring, and its folder. */
export interface TrainedMethod extends TrainedValues {
  /** Scores examples; with `candidates` (each example's label alternatives) label accuracy too. */
  evaluate(examples: TokenizedExample[], candidates?: TokenizedExample[][]): PromptEvaluation;
  save(
    directory: string,
    metadata: Omit<AdapterMetadata, 'format' | 'layout' | 'baseModel' | 'tokenizer'>,
  ): void | Promise<void>;
}

/** The options of `soft train` the methods read. */
export interface MethodArgs {
  model: string;
  method: string;
  'virtual-tokens': string;
  init: string;
  'init-text': string;
  layout: string;
  rank: string;
  alpha?: string;
  targets: string;
  dropout?: string;
  'prefix-projection'?: boolean;
  'encoder-hidden'?: string;
  encoder?: string;
  'task-rank'?: string;
  source?: string;
  transfer?: string;
}

/** Full fine-tuning's learning rate when --lr is not given: every weight moves, so far below a prompt's. */
const FULL_FINE_TUNING_LEARNING_RATE = 0.0003;

const projectionNames: Record<string, Projection> = {
  q: 'query',
  k: 'key',
  v: 'value',
  o: 'attentionOutput',
  gate: 'gate',
  up: 'up',
  down: 'down',
};

/** Makes the chosen method ready; `labels` are the task's labels when it has few. */
export function planMethod(
  args: MethodArgs,
  loaded: LoadedModel,
  labels: string[] | undefined,
  seed: number,
  /** The options written on the command line (givenOptions): one the method does not read is refused. */
  given: ReadonlySet<string> = new Set(),
): MethodPlan {
  const method = choice('method', args.method, METHODS);
  // options another method reads are refused, not ignored
  const invalid = (message: string, hint: string) =>
    new ValidationError(message, { code: 'CLI_INVALID_OPTION', hint });
  if (args['prefix-projection'] && method !== 'prefix-tuning')
    throw invalid(
      `--prefix-projection is for --method prefix-tuning, not ${method}`,
      'Drop --prefix-projection.',
    );
  if (args['encoder-hidden'] !== undefined && method !== 'p-tuning' && !args['prefix-projection'])
    throw invalid(
      `--encoder-hidden sizes P-tuning's encoder or --prefix-projection's MLP; --method ${method} has neither`,
      'Drop --encoder-hidden, or add --prefix-projection to prefix tuning.',
    );
  if (args.encoder !== undefined && method !== 'p-tuning')
    throw invalid(`--encoder is for --method p-tuning, not ${method}`, 'Drop --encoder.');
  const multitaskOnly = (
    [
      ['task-rank', args['task-rank']],
      ['source', args.source],
      ['transfer', args.transfer],
    ] as const
  ).find(([, value]) => value !== undefined);
  if (multitaskOnly && method !== 'multitask-prompt-tuning')
    throw invalid(
      `--${multitaskOnly[0]} is for --method multitask-prompt-tuning, not ${method}`,
      `Drop --${multitaskOnly[0]}.`,
    );
  if (args.transfer !== undefined && args.source === undefined)
    throw invalid(
      '--transfer says how to start from a --source; no --source was given',
      'Add --source <multitask adapter folder>, or drop --transfer.',
    );
  checkOptionsRead(method, args, given);
  const baseModelName = basename(resolve(args.model));
  const common = {
    tokenizer: { kind: loaded.tokenizer.kind, sha256: tokenizerFingerprint(loaded.tokenizer) },
  };
  if (method === 'full-fine-tuning') {
    checkFullFineTuningSize(parameterCount(loaded.model));
    return {
      method,
      virtualTokens: 0,
      defaultLearningRate: FULL_FINE_TUNING_LEARNING_RATE,
      config: { method },
      describe: `full fine-tuning (${parameterCount(loaded.model).toLocaleString('en-US')} weights)`,
      async train(train, dev, options) {
        const result = await trainFullAsync(loaded.model, train, dev, options);
        const prompt = noPrompt(result.model);
        return {
          ...result,
          evaluate: (examples, candidates) => evaluatePrompt(result.model, prompt, examples, { candidates }),
          async save(directory, metadata) {
            await saveFineTunedModel(directory, result.model, result.values, loaded.info, {
              ...common,
              baseModel: { name: baseModelName, sha256: modelFingerprint(loaded.model) },
              seed: metadata.seed,
              metrics: metadata.metrics,
              training: metadata.training,
            });
          },
        };
      },
    };
  }
  if (method === 'lora') {
    // a rank past the hidden size adds nothing a full matrix would not, at its cost
    const rank = numberOption('rank', args.rank, {
      integer: true,
      min: 1,
      max: loaded.model.config.hiddenSize,
      maxMeaning: "the model's hidden size",
    })!;
    const alpha = numberOption('alpha', args.alpha, { above: 0 }) ?? 2 * rank;
    const dropout = numberOption('dropout', args.dropout, { min: 0, below: 1 }) ?? 0;
    const named = listOption(args.targets.split(','));
    const targets = named.map((name) => {
      const short = name.replace(/_proj$/, '');
      const projection = Object.hasOwn(projectionNames, short) ? projectionNames[short] : undefined;
      if (!projection)
        throw new ValidationError(`--targets: ${name} is not a projection`, {
          code: 'LORA_OPTIONS',
          hint: `Name some of ${Object.keys(projectionNames).join(', ')} (comma-separated).`,
        });
      return projection;
    });
    // q,q made one adapter of q, started from other random values than q alone, and recorded as two
    const twice = targets.findIndex((projection, index) => targets.indexOf(projection) !== index);
    if (twice >= 0)
      throw new ValidationError(`--targets names ${named[twice]} twice`, {
        code: 'CLI_INVALID_OPTION',
        hint: 'Name each projection once: --targets q,v.',
      });
    const initial = initLoraAdapter(loaded.model, { rank, alpha, targets }, seededRandom(seed));
    return {
      method,
      virtualTokens: 0,
      defaultLearningRate: 0.001,
      // a dropout only when there is one: runs and checkpoints made before it was an option still agree
      config: { method, rank, alpha, targets: args.targets, ...(dropout ? { dropout } : {}) },
      checkpointOnly: queryKeyOrderIdentity(loaded.model, targets),
      describe: `LoRA (rank ${rank} on ${targets.length} projection${targets.length === 1 ? '' : 's'})`,
      async train(train, dev, options) {
        const result = await trainLoraAsync(loaded.model, initial, train, dev, { ...options, dropout });
        const prompt = noPrompt(loaded.model);
        return {
          ...result,
          evaluate: (examples, candidates) =>
            evaluatePrompt(loaded.model, prompt, examples, { adapter: result.adapter, candidates }),
          save: (directory, metadata) =>
            saveLoraAdapter(directory, result.adapter, loaded.model, {
              ...common,
              ...metadata,
              baseModelName,
              alpha,
              dropout,
              method,
            }),
        };
      },
    };
  }
  // a prompt that fills the model's context leaves no room for an example
  const virtualTokens = numberOption('virtual-tokens', args['virtual-tokens'], {
    integer: true,
    min: 1,
    max: loaded.model.config.contextLength - 1,
    maxMeaning: "the model's context less one position",
  })!;
  const initKind = choice('init', args.init, [
    'sample-vocab',
    'text',
    'random',
    'normal',
    'class-labels',
  ] as const);
  if (initKind === 'class-labels' && !labels)
    throw new ValidationError(
      "--init class-labels starts from the task's labels, and this task has none: its training targets are not a few labels",
      {
        code: 'CLI_INVALID_OPTION',
        hint: 'A label task has at most 10 distinct training targets, fewer than its examples. Use --init sample-vocab or text (or drop --init: the default picks).',
      },
    );
  const init: PromptInit =
    initKind === 'text'
      ? { kind: 'text', text: args['init-text'] }
      : initKind === 'class-labels'
        ? { kind: 'class-labels', labels: labels ?? [] }
        : { kind: initKind };
  if (method === 'prefix-tuning') {
    const { model } = loaded;
    const width = keyValueWidth(model.config);
    const hidden = args['prefix-projection']
      ? (numberOption('encoder-hidden', args['encoder-hidden'], {
          integer: true,
          min: 1,
          max: encoderWidthLimit * width,
          maxMeaning: `${encoderWidthLimit} × the keys' and values' width`,
        }) ?? width)
      : undefined;
    // through the MLP the prefix is what it makes: only the length of this one counts
    const initial =
      hidden === undefined
        ? initPrefix(model, loaded.tokenizer, virtualTokens, init, seededRandom(seed))
        : { kind: 'prefix' as const, length: virtualTokens, values: new Float32Array(0) };
    // PEFT's MLP starts from random vectors whatever --init says: that is what is recorded
    const recordedInit = hidden === undefined ? initKind : 'normal';
    const projection =
      hidden === undefined
        ? undefined
        : initPrefixProjection(
            { virtualTokens, width, layers: model.config.layers, hidden },
            seededRandom(seed + 1),
          );
    return {
      method,
      virtualTokens,
      defaultLearningRate: 0.03,
      config: {
        method,
        virtualTokens,
        init: recordedInit,
        ...(hidden === undefined ? {} : { projection: hidden }),
      },
      checkpointOnly: queryKeyOrderIdentity(model),
      describe: `prefix (${virtualTokens} positions of keys and values in ${model.config.layers} layers${hidden === undefined ? '' : `, through an MLP of ${hidden}`})`,
      async train(train, dev, options) {
        const result = await trainPrefixAsync(model, initial, train, dev, options, projection);
        const placeholders = prefixPlaceholders(model, result.prefix);
        return {
          ...result,
          evaluate: (examples, candidates) =>
            evaluatePrompt(model, placeholders, examples, { adapter: result.prefix, candidates }),
          save: (directory, metadata) =>
            savePrefixAdapter(directory, result.prefix, model, {
              ...common,
              ...metadata,
              baseModelName,
              init: recordedInit,
              method,
            }),
        };
      },
    };
  }
  const layout = choice('layout', args.layout, ['bos-first', 'peft'] as const) as PromptLayout;
  if (method === 'multitask-prompt-tuning') {
    const { model } = loaded;
    const askedRank = numberOption('task-rank', args['task-rank'], {
      integer: true,
      min: 1,
      max: Math.min(virtualTokens, model.config.hiddenSize),
      maxMeaning:
        virtualTokens <= model.config.hiddenSize ? 'the number of virtual tokens' : "the model's hidden size",
    });
    if (!args.source)
      return multitaskPlan(args, loaded, {
        initial: initMultitask(
          initSoftPrompt(model, loaded.tokenizer, virtualTokens, init, seededRandom(seed), layout),
          1,
          askedRank ?? 1,
          seededRandom(seed + 1),
        ),
        init: initKind,
      });
    const transfer = args.transfer ?? 'average';
    const start = transferStart(args.source, transfer, loaded, seed);
    if (askedRank !== undefined && askedRank !== start.initial.shape.ranks)
      throw invalid(
        `--task-rank ${askedRank}: the prompt starts from --source ${args.source}, whose factors have rank ${start.initial.shape.ranks}`,
        'Drop --task-rank: a transferred prompt keeps its source’s rank.',
      );
    return multitaskPlan(args, loaded, start, {
      name: args.source,
      identity: resolve(args.source),
      transfer,
    });
  }
  if (method === 'p-tuning') {
    const { model } = loaded;
    const hidden =
      numberOption('encoder-hidden', args['encoder-hidden'], {
        integer: true,
        min: 1,
        max: encoderWidthLimit * model.config.hiddenSize,
        maxMeaning: `${encoderWidthLimit} × the model's hidden size`,
      }) ?? model.config.hiddenSize;
    const kind = choice('encoder', args.encoder ?? 'mlp', ['mlp', 'lstm'] as const);
    const encoderKind = kind === 'lstm' ? 'LSTM' : 'MLP';
    // PEFT's encoder starts random whatever --init says: that is what is recorded
    const initial = initPromptEncoder(model, virtualTokens, hidden, seededRandom(seed), encoderKind);
    return {
      method,
      virtualTokens,
      defaultLearningRate: 0.01,
      config: {
        method,
        virtualTokens,
        init: 'normal',
        encoder: hidden,
        ...(kind === 'lstm' && { encoderKind: 'lstm' }),
        layout,
      },
      describe: `soft prompt (${virtualTokens} virtual tokens) made by ${kind === 'lstm' ? 'a bidirectional LSTM encoder' : 'an MLP encoder'} of ${hidden}`,
      async train(train, dev, options) {
        const result = await trainPromptEncoderAsync(model, initial, layout, train, dev, options);
        return {
          ...result,
          evaluate: (examples, candidates) => evaluatePrompt(model, result.prompt, examples, { candidates }),
          save: (directory, metadata) =>
            saveAdapter(directory, result.prompt, model, {
              ...common,
              ...metadata,
              baseModelName,
              init: 'normal',
              method,
              encoderHidden: hidden,
              encoderKind,
              nearestTokens: nearestTokensRecord(loaded, result.prompt),
            }),
        };
      },
    };
  }
  const initial = initSoftPrompt(
    loaded.model,
    loaded.tokenizer,
    virtualTokens,
    init,
    seededRandom(seed),
    layout,
  );
  return {
    method,
    virtualTokens,
    defaultLearningRate: 0.3,
    config: { virtualTokens, init: initKind, layout },
    describe: `soft prompt (${virtualTokens} virtual tokens)`,
    async train(train, dev, options) {
      const result = await trainSoftPromptAsync(loaded.model, initial, train, dev, options);
      return {
        ...result,
        evaluate: (examples, candidates) =>
          evaluatePrompt(loaded.model, result.prompt, examples, { candidates }),
        save: (directory, metadata) =>
          saveAdapter(directory, result.prompt, loaded.model, {
            ...common,
            ...metadata,
            baseModelName,
            init: initKind,
            nearestTokens: nearestTokensRecord(loaded, result.prompt),
          }),
      };
    },
  };
}

/**
 * A one-task multitask prompt's plan from `start`; `source` names the multitask prompt it was transferred
 * from (`identity`: what a checkpoint must agree on, a folder's absolute path).
 */
function multitaskPlan(
  args: Pick<MethodArgs, 'model'>,
  loaded: LoadedModel,
  start: { initial: MultitaskPrompt; init: string },
  source?: { name: string; identity: string; transfer: string },
): MethodPlan {
  const { model } = loaded;
  const { initial } = start;
  const { virtualTokens: P, ranks } = initial.shape;
  return {
    method: 'multitask-prompt-tuning',
    virtualTokens: P,
    defaultLearningRate: 0.3,
    config: {
      method: 'multitask-prompt-tuning',
      virtualTokens: P,
      init: start.init,
      taskRank: ranks,
      layout: initial.layout,
      ...(source && { source: source.name }),
    },
    describe: `soft prompt (${P} virtual tokens) as a shared prompt scaled by rank-${ranks} task factors${source ? `, started from ${source.name} (${source.transfer})` : ''}`,
    async train(train, dev, options) {
      // a checkpoint of a prompt started otherwise (or placed otherwise) is not resumed
      const result = await trainMultitaskAsync(model, initial, train, dev, options, {
        start: source ? `${start.init} of ${source.identity}` : start.init,
        layout: initial.layout,
      });
      const prompt = taskPrompt(result.multitask, 0);
      return {
        ...result,
        evaluate: (examples, candidates) => evaluatePrompt(model, prompt, examples, { candidates }),
        save: (directory, metadata) =>
          saveMultitaskAdapter(directory, result.multitask, model, {
            tokenizer: { kind: loaded.tokenizer.kind, sha256: tokenizerFingerprint(loaded.tokenizer) },
            ...metadata,
            baseModelName: basename(resolve(args.model)),
            init: start.init,
            method: 'multitask-prompt-tuning',
            tasks: metadata.task === undefined ? undefined : [metadata.task],
            nearestTokens: nearestTokensRecord(loaded, prompt),
          }),
      };
    },
  };
}

/**
 * A new task's multitask prompt started from `source`, a multitask prompt held in memory (compare-methods
 * trains it on the other tasks): the mean of its tasks' factors, as --transfer average.
 */
export function planTransferredMultitask(
  args: Pick<MethodArgs, 'model'>,
  loaded: LoadedModel,
  source: { multitask: MultitaskPrompt; name: string },
  seed: number,
): MethodPlan {
  const initial = transferMultitask(source.multitask, { kind: 'average' }, seededRandom(seed + 1));
  return multitaskPlan(
    args,
    loaded,
    { initial, init: 'transfer-average' },
    { name: source.name, identity: source.name, transfer: 'average' },
  );
}

/** The method options each method reads; the rest, given on the command line, would be ignored. */
const METHOD_OPTIONS = [
  'virtual-tokens',
  'init',
  'init-text',
  'layout',
  'rank',
  'alpha',
  'targets',
  'dropout',
  'prefix-projection',
  'encoder',
  'encoder-hidden',
  'task-rank',
  'source',
  'transfer',
] as const;

/** The method options `method` reads with these arguments. */
function optionsRead(method: Method, args: MethodArgs): Set<string> {
  const prompt = ['virtual-tokens', 'init', 'init-text', 'layout'];
  const reads: Record<Method, string[]> = {
    'prompt-tuning': prompt,
    // P-tuning's encoder starts random, whatever --init says
    'p-tuning': ['virtual-tokens', 'layout', 'encoder', 'encoder-hidden'],
    // a transferred prompt keeps the source's positions, layout and start
    'multitask-prompt-tuning': args.source ? ['source', 'transfer', 'task-rank'] : [...prompt, 'task-rank'],
    // through the MLP a prefix starts random
    'prefix-tuning': args['prefix-projection']
      ? ['virtual-tokens', 'prefix-projection', 'encoder-hidden']
      : ['virtual-tokens', 'init', 'init-text', 'prefix-projection'],
    lora: ['rank', 'alpha', 'targets', 'dropout'],
    'full-fine-tuning': [],
  };
  return new Set(reads[method]);
}

/** Refuses a method option written on the command line that `method` would ignore (CLI_INVALID_OPTION). */
function checkOptionsRead(method: Method, args: MethodArgs, given: ReadonlySet<string>): void {
  const reads = optionsRead(method, args);
  const ignored = METHOD_OPTIONS.find((option) => given.has(option) && !reads.has(option));
  if (ignored === undefined) return;
  const projected = method === 'prefix-tuning' && args['prefix-projection'];
  const why =
    method === 'multitask-prompt-tuning' && args.source
      ? "a prompt transferred from --source keeps its source's"
      : `--method ${method}${projected ? " --prefix-projection (its MLP starts random, as PEFT's)" : ''} ${reads.size ? `reads only ${[...reads].map((option) => `--${option}`).join(', ')}` : "reads none of the methods' options"}`;
  throw new ValidationError(`--${ignored} would be ignored: ${why}`, {
    code: 'CLI_INVALID_OPTION',
    hint: `Drop --${ignored}.`,
  });
}

/** The source task --transfer names; an unknown one is told the two other starts too. */
function transferTask(source: LoadedMultitask, transfer: string): number {
  try {
    return multitaskTaskId(source, transfer);
  } catch (error) {
    if (!PromptuneError.isInstance(error) || error.code !== 'ADAPTER_TASK_UNKNOWN') throw error;
    throw new ValidationError(`--transfer ${transfer}: ${error.message}`, {
      code: 'ADAPTER_TASK_UNKNOWN',
      hint: `${error.hint} Or --transfer average (the mean of its tasks' factors) or shared (its shared prompt, new factors).`,
    });
  }
}

/**
 * A one-task multitask prompt started from the multitask adapter in `source`: `transfer` is average (the
 * mean of its tasks' factors), shared (its shared prompt, new factors) or one of its tasks by name or id.
 */
function transferStart(
  source: string,
  transfer: string,
  loaded: LoadedModel,
  seed: number,
): { initial: MultitaskPrompt; init: string } {
  if (adapterMethod(source) !== 'MULTITASK_PROMPT_TUNING')
    throw new ValidationError(
      `--source ${source} is a ${adapterMethod(source)} adapter, not a multitask prompt`,
      {
        code: 'CLI_INVALID_OPTION',
        hint: 'Pass the folder soft train-multitask wrote (or a PEFT MULTITASK_PROMPT_TUNING adapter).',
      },
    );
  const loadedSource = loadMultitaskAdapter(source, loaded.model);
  const how: MultitaskTransfer =
    transfer === 'average' || transfer === 'shared'
      ? { kind: transfer }
      : { kind: 'task', task: transferTask(loadedSource, transfer) };
  return {
    initial: transferMultitask(loadedSource.multitask, how, seededRandom(seed + 1)),
    init: `transfer-${transfer}`,
  };
}

/** A hard prompt's text: an artifact's or a task spec's. */
type HardPrompt = { system?: string; template: string };

/** A hard prompt's system text and template, the input placeholders taken out ('' when nothing is left). */
export function promptWords(prompt: HardPrompt): string {
  return [prompt.system ?? '', prompt.template.replace(/\{\{[^}]*\}\}/g, ' ')]
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The words of a hard prompt (an artifact's, a task spec's) as a soft prompt's init text: its system text
 * and template with the input placeholders taken out (demos left out: a prompt of 16 vectors holds the
 * instruction, not examples).
 */
export function hardPromptText(task: string, prompt: HardPrompt): string {
  const words = promptWords(prompt);
  if (!words)
    throw new ValidationError(`the hard prompt of task ${task} has no words besides its inputs`, {
      code: 'SOFT_INIT_EMPTY',
      hint: 'Start from another artifact, or use --init sample-vocab.',
    });
  return words;
}

/**
 * The query and key order a LoRA's (on q or k) or prefix's checkpoint must agree on, for a llama, which
 * comes in both (a checkpoint of one written before this was recorded resumes unchecked: checkpoint.ts).
 */
function queryKeyOrderIdentity(
  model: LlamaModel,
  targets?: readonly Projection[],
): Record<string, unknown> | undefined {
  const touched = !targets || targets.includes('query') || targets.includes('key');
  return touched && hasBothOrders(model) ? { queryKeyOrder: modelQueryKeyOrder(model) } : undefined;
}

/**
 * What the run record, the adapter's training metadata and a comparison's journal say of `plan`: the
 * method's settings and, for a start from words, the words.
 */
export function methodRecord(plan: MethodPlan, args: MethodArgs): Record<string, unknown> {
  return { ...plan.config, ...(plan.config.init === 'text' && { initText: args['init-text'] }) };
}

/**
 * The vocabulary tokens nearest each vector of the prompt a version serves, cosines to 4 decimals: what
 * promptune.json records for its page (a P-tuning encoder's or a multitask prompt's, as a soft prompt's).
 */
export function nearestTokensRecord(
  loaded: LoadedModel,
  prompt: SoftPrompt,
): NonNullable<AdapterMetadata['nearestTokens']> {
  return nearestTokens(loaded.model, loaded.tokenizer, prompt, 5).map((tokens) =>
    tokens.map(({ text, cosine }) => ({ text, cosine: Math.round(cosine * 1e4) / 1e4 })),
  );
}

/**
 * The parameters a training of `plan` changed: the trainer's values (an encoder's or an MLP's weights,
 * not the prompt or prefix they made), and full fine-tuning's weights without their packing's padding.
 */
export function trainedParameterCount(plan: MethodPlan, model: LlamaModel, values: Float32Array): number {
  return plan.method === 'full-fine-tuning' ? parameterCount(model) : values.length;
}

/**
 * What a checkpoint of `plan` must agree on beyond the training options (TrainOptions.run): its record,
 * and how the model it ran on orders what the checkpoint holds.
 */
export function checkpointIdentity(plan: MethodPlan, args: MethodArgs): Record<string, unknown> {
  return { ...methodRecord(plan, args), ...plan.checkpointOnly };
}

/**
 * The init a run starts from: --init as written, and otherwise class-labels for prompt tuning on a task
 * with few labels (Lester et al.'s best start; over three seeds on the shared tasks it raised test
 * accuracy on animal from 0.923 to 0.939 and on gender from 0.909 to 0.933 on average), sample-vocab
 * for the rest.
 */
export function defaultInit(
  args: { method: string; init?: string; source?: string },
  written: Set<string>,
  labels: string[] | undefined,
): string {
  if (args.init && (written.has('init') || written.has('init-from'))) return args.init;
  return args.method === 'prompt-tuning' && labels && !args.source ? 'class-labels' : 'sample-vocab';
}
