// Loss and its gradient with respect to the input embeddings, through the frozen decoder: the one
// forward pass (decoder.ts) keeping every layer's activations, token-mean cross-entropy, and the
// backward (decoder-backward.ts), its mirror. This is what soft prompts are trained with, and, given a
// LoRA adapter that every row runs with, what gives that adapter's gradients too; given buffers for them,
// every weight's gradient (full fine-tuning).
import { linearBackward } from './matrix.js';
import { ValidationError } from '../errors/index.js';
import { decoderBackward } from './decoder-backward.js';
import { decoderForward, outputHeadForward } from './decoder.js';
import type { LlamaModel } from './llama.js';
import { checkWeightsTrainable, embeddingBackward, linearWeightBackward } from './weight-training.js';
import type { ModelWeights } from './weights/types.js';
import { packAdapter } from './low-rank.js';
import {
  isKeyValuePrefix,
  isLowRankAdapter,
  type AdapterTraining,
  type ModelAdapter,
} from './model-adapter.js';
import {
  allocateOutputHeadActivations,
  allocateTrainingActivations,
  type OutputHeadActivations,
  type TrainingActivations,
  type TrainingLayout,
} from './training-activations.js';
import type { KeyValuePrefix } from './key-value-prefix.js';

/** A batch for loss and gradients. */
export interface LossInput {
  batch: number; // B
  time: number; // T
  embeddings: Float32Array; // (B, T, C) right-padded input embeddings
  /** (B, T): the token position t should predict next (the label at t + 1), or -1 to ignore. */
  targets: Int32Array;
  /** An adapter every row runs with (LoRA, or a prefix after which each row starts), whose gradients are wanted too. */
  adapter?: ModelAdapter;
  /**
   * Buffers shaped like the model's weights (packWeights(…, 'zero')) where every weight's gradient is
   * summed: full fine-tuning. The model's weights must be float32, and `tokens` given. Not with `adapter`.
   */
  weightGradients?: ModelWeights;
  /** (B, T): the token id whose embedding each position holds, -1 where it holds another vector (a prompt's). */
  tokens?: Int32Array;
}

/** The mean loss over all targeted positions, per-position losses, and d loss / d embeddings. */
export interface LossGradients {
  loss: number;
  count: number;
  losses: Float32Array; // (B, T), 0 where ignored
  dembeddings: Float32Array; // (B, T, C)
  /** With an adapter: d loss / d its matrices, packed as packAdapter packs them; for a prefix, its values' layout. */
  adapterGradients?: Float32Array;
}

const cached = new WeakMap<LlamaModel, TrainingActivations>();
const heads = new WeakMap<LlamaModel, OutputHeadActivations>();
/** What a set of activations keeps beyond the common ones: projection inputs, a past of P. */
const layouts = new WeakMap<TrainingActivations, string>();

/** The model's output-head buffers, grown when a batch has more targeted positions than any before. */
function headFor(model: LlamaModel, rows: number): OutputHeadActivations {
  let head = heads.get(model);
  if (!head || head.rows < rows) {
    head = allocateOutputHeadActivations(model.config, rows);
    heads.set(model, head);
  }
  return head;
}

function activationsFor(
  model: LlamaModel,
  B: number,
  T: number,
  layout: TrainingLayout,
): TrainingActivations {
  let act = cached.get(model);
  const key = `${layout.keepProjectionInputs === true} ${layout.past ?? 0}`;
  if (!act || act.batch !== B || act.time !== T || layouts.get(act) !== key) {
    act = allocateTrainingActivations(model.config, B, T, layout);
    layouts.set(act, key);
    cached.set(model, act);
  }
  return act;
}

/**
 * Forward with kept activations, token-mean cross-entropy, and backward to the input embeddings. With a
 * prefix, the rows' P placeholders are not run: the rest of each row attends to the prefix as its past.
 */
export function inputGradients(model: LlamaModel, input: LossInput): LossGradients {
  checkInput(model, input);
  const { adapter } = input;
  if (adapter && isKeyValuePrefix(adapter)) return afterPlaceholders(model, input, adapter);
  return lossAndGradients(model, input);
}

/** Refuses a batch whose buffers or length do not fit the model. */
function checkInput(model: LlamaModel, input: LossInput): void {
  const { batch: B, time: T, embeddings, targets } = input;
  const { hiddenSize: C } = model.config;
  const N = B * T;
  if (embeddings.length < N * C || targets.length < N) {
    throw new ValidationError(
      `embeddings hold ${embeddings.length} and targets ${targets.length} values for a ${B} x ${T} batch`,
      { code: 'FORWARD_INPUT', hint: 'embeddings is (batch, time, hidden size), targets (batch, time).' },
    );
  }
  if (T > model.config.contextLength) {
    throw new ValidationError(
      `sequences of ${T} positions exceed the context of ${model.config.contextLength}`,
      {
        code: 'CONTEXT_OVERFLOW',
        hint: 'Shorten the examples or the prompt.',
      },
    );
  }
}

/**
 * The pass over rows that start with `prefix`'s P placeholders: runs their other T - P positions only, at
 * positions P.., attending to the prefix as their past, and gives the placeholders no loss and no gradient.
 * A target on the last placeholder (a row with no token before its first target: no BOS, no input) is
 * dropped, as PEFT has no position to predict it from.
 */
function afterPlaceholders(model: LlamaModel, input: LossInput, prefix: KeyValuePrefix): LossGradients {
  const { batch: B, time: T, embeddings, targets } = input;
  const C = model.config.hiddenSize;
  const P = prefix.length;
  const own = T - P;
  if (own < 1)
    throw new ValidationError(`rows of ${T} positions hold no more than the prefix's ${P} placeholders`, {
      code: 'ADAPTER_PREFIX_UNPLACED',
      hint: 'Build the batch from prefixPlaceholders(model, prefix), which puts them before each row.',
    });
  const compact = { embeddings: new Float32Array(B * own * C), targets: new Int32Array(B * own) };
  for (let b = 0; b < B; b++) {
    compact.embeddings.set(embeddings.subarray((b * T + P) * C, (b + 1) * T * C), b * own * C);
    compact.targets.set(targets.subarray(b * T + P, (b + 1) * T), b * own);
  }
  const result = lossAndGradients(model, { ...input, time: own, ...compact, tokens: undefined });
  const losses = new Float32Array(B * T);
  const dembeddings = new Float32Array(B * T * C);
  for (let b = 0; b < B; b++) {
    losses.set(result.losses.subarray(b * own, (b + 1) * own), b * T + P);
    dembeddings.set(result.dembeddings.subarray(b * own * C, (b + 1) * own * C), (b * T + P) * C);
  }
  return { ...result, losses, dembeddings };
}

/** The pass itself, over rows without placeholders: a prefix adapter is attended as every row's past. */
function lossAndGradients(model: LlamaModel, input: LossInput): LossGradients {
  const { batch: B, time: T, embeddings, targets } = input;
  const { config, weights, kernels } = model;
  const { hiddenSize: C, vocabularySize: V } = config;
  const N = B * T;
  // only the targeted positions (M of the N) go through the output head: a prompt-tuning batch has a few
  // targets per example, and the classifier over every position would be most of its products
  const rows: number[] = [];
  for (let i = 0; i < N; i++) if (targets[i] >= 0) rows.push(i);
  const M = rows.length;
  if (M === 0)
    throw new ValidationError('no position has a target', {
      code: 'LOSS_NO_TARGETS',
      hint: 'Mark at least one target token.',
    });
  const { adapter, weightGradients } = input;
  const pastPrefix = adapter && isKeyValuePrefix(adapter) ? adapter : undefined;
  if (weightGradients) checkWeightTraining(model, input);
  const keep = weightGradients !== undefined || (adapter !== undefined && !pastPrefix);
  const act = activationsFor(model, B, T, { keepProjectionInputs: keep, past: pastPrefix?.length });
  const head = headFor(model, M);
  const output = decoderForward(
    model,
    act,
    pastPrefix
      ? { embeddings, pastPrefix }
      : { embeddings, adapters: adapter ? new Array<ModelAdapter>(B).fill(adapter) : undefined },
  );
  const headTargets = Int32Array.from(rows, (i) => targets[i]);
  rows.forEach((i, row) => head.input.set(output.subarray(i * C, (i + 1) * C), row * C));
  outputHeadForward(model, head.logits, head.normed, head.rstd, head.input, M);
  kernels.crossEntropyForward(head.losses, head.logits, headTargets, M, V);
  let total = 0;
  const losses = new Float32Array(N);
  rows.forEach((i, row) => {
    losses[i] = head.losses[row];
    total += head.losses[row];
  });

  // backward, the mirror of the forward: loss, output head (its rows scattered back), then the layers
  head.dlosses.fill(1 / M, 0, M);
  head.dlogits.fill(0, 0, M * V);
  kernels.crossEntropyBackward(head.dlogits, head.dlosses, head.logits, headTargets, M, V);
  if (config.logitSoftcap !== undefined)
    kernels.softcapBackward(head.dlogits, head.dlogits, head.logits, config.logitSoftcap, M * V);
  head.dnormed.fill(0, 0, M * C);
  linearBackward(kernels, head.dnormed, head.dlogits, weights.classifier, M, C, V);
  if (weightGradients) {
    const { classifier, finalNorm } = weightGradients as {
      classifier: Float32Array;
      finalNorm: Float32Array;
    };
    linearWeightBackward(kernels, classifier, null, head.dlogits, head.normed, M, C, V);
    kernels.rmsnormWeightBackward(finalNorm, head.dnormed, head.input, head.rstd, M, C);
  }
  head.dinput.fill(0, 0, M * C);
  kernels.rmsnormBackward(head.dinput, head.dnormed, head.input, weights.finalNorm, head.rstd, M, C);
  act.dresidual.fill(0);
  rows.forEach((i, row) => act.dresidual.set(head.dinput.subarray(row * C, (row + 1) * C), i * C));
  let training: AdapterTraining | undefined;
  let adapterGradients: Float32Array | undefined;
  if (weightGradients) training = { weights, gradients: weightGradients };
  else if (pastPrefix) {
    adapterGradients = new Float32Array(pastPrefix.values.length);
    training = { prefix: pastPrefix, gradients: adapterGradients };
  } else if (adapter && isLowRankAdapter(adapter)) {
    const gradients = packAdapter(adapter, 'zero');
    adapterGradients = gradients.values;
    training = { adapter, gradients: gradients.adapter };
  }
  decoderBackward(model, act, training);
  if (weightGradients)
    embeddingBackward(config, weightGradients.embedding as Float32Array, act.dresidual, input.tokens!, N);
  return {
    loss: total / M,
    count: M,
    losses,
    dembeddings: act.dresidual.slice(0, N * C),
    adapterGradients,
  };
}

/** Refuses full fine-tuning inputs that cannot give every weight's gradient. */
function checkWeightTraining(model: LlamaModel, input: LossInput): void {
  const fail = (message: string, hint: string) =>
    new ValidationError(message, { code: 'FORWARD_INPUT', hint });
  if (input.adapter)
    throw fail(
      'weight gradients and an adapter were both asked for',
      'Train the weights or an adapter, not both.',
    );
  if (!input.tokens || input.tokens.length < input.batch * input.time)
    throw fail(
      'weight gradients need the token id of every position',
      'Give tokens (batch, time), -1 where a position holds no token.',
    );
  checkWeightsTrainable(model.weights);
}
