// What `soft train --method` trains: a soft prompt (prompt tuning, or P-tuning: made by an MLP encoder, or
// multitask prompt tuning: a shared prompt scaled by the task's factors, possibly transferred from a
// multitask source), a key/value prefix (prefix tuning) or a LoRA adapter. Each method makes its
// initial parameters from the command's options, trains with the one trainer, scores examples and writes
// its PEFT-format folder (full fine-tuning: every weight of a copy of the model, saved as a whole model);
// soft.ts runs the rest (data, progress, the run record, --push) the same for all.
import { baseModelNames } from './base-model-names.js';
import {
  keyValueWidth,
  seededRandom,
  type LlamaModel,
  type LoadedModel,
  type Projection,
} from '../engine/index.js';
import { ValidationError } from '../errors/index.js';
import {
  checkFullFineTuningSize,
  evaluatePrompt,
  hasBothOrders,
  initLoraAdapter,
  initPrefix,
  initPrefixProjection,
  initPromptEncoder,
  initSoftPrompt,
  modelFingerprint,
  modelQueryKeyOrder,
  parameterCount,
  noPrompt,
  saveAdapter,
  saveFineTunedModel,
  saveLoraAdapter,
  savePrefixAdapter,
  prefixPlaceholders,
  tokenizerFingerprint,
  trainFullAsync,
  trainLoraAsync,
  trainPrefixAsync,
  trainPromptEncoderAsync,
  trainSoftPromptAsync,
  type PromptInit,
  type PromptLayout,
} from '../soft/index.js';
import { refuseOtherMethodsOptions } from './method-options.js';
import { METHODS, type MethodArgs, type MethodPlan } from './method-plan.js';
import { planMultitask } from './multitask-plan.js';
import { nearestTokensRecord } from './nearest-tokens-record.js';
import { choice, listOption, numberOption } from './options.js';

export {
  METHOD_NAMES,
  METHODS,
  type Method,
  type MethodArgs,
  type MethodPlan,
  type TrainedMethod,
} from './method-plan.js';

/**
 * An encoder's hidden layer (P-tuning's, --prefix-projection's) at most this many times the width it
 * makes: past it the MLP is larger than the model it adapts (--encoder-hidden 100000 asked for 40 GB).
 */
const encoderWidthLimit = 16;

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
  refuseOtherMethodsOptions(method, args, given);
  const names = baseModelNames(args.model);
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
              baseModel: { name: names.baseModelName, sha256: modelFingerprint(loaded.model) },
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
    const named = listOption(args.targets.split(',').map((name) => name.trim()));
    if (named.some((name) => name === ''))
      throw new ValidationError(`--targets "${args.targets}" names an empty projection`, {
        code: 'LORA_OPTIONS',
        hint: `Name some of ${Object.keys(projectionNames).join(', ')}, comma-separated, with nothing between two commas.`,
      });
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
    const rankStabilized = args.rslora === true;
    const initial = initLoraAdapter(
      loaded.model,
      { rank, alpha, targets, rankStabilized },
      seededRandom(seed),
    );
    return {
      method,
      virtualTokens: 0,
      defaultLearningRate: 0.001,
      // a dropout only when there is one: runs and checkpoints made before it was an option still agree
      config: {
        method,
        rank,
        alpha,
        targets: args.targets,
        ...(dropout ? { dropout } : {}),
        ...(rankStabilized && { rslora: true }),
      },
      checkpointOnly: queryKeyOrderIdentity(loaded.model, targets),
      describe: `LoRA (rank ${rank}${rankStabilized ? ', rank-stabilized' : ''} on ${targets.length} projection${targets.length === 1 ? '' : 's'})`,
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
              ...names,
              alpha,
              dropout,
              rankStabilized,
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
              ...names,
              init: recordedInit,
              method,
            }),
        };
      },
    };
  }
  const layout = choice('layout', args.layout, ['bos-first', 'peft'] as const) as PromptLayout;
  if (method === 'multitask-prompt-tuning')
    return planMultitask(args, loaded, { virtualTokens, init, initKind, layout }, seed);
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
              ...names,
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
            ...names,
            init: initKind,
            nearestTokens: nearestTokensRecord(loaded, result.prompt),
          }),
      };
    },
  };
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
