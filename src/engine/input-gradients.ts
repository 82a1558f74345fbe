// Loss and its gradient with respect to the input embeddings, through the frozen decoder: the forward
// keeps every layer's activations, the backward calls the ops' backward pairs in exactly the reverse
// order. No weight gradient is computed or stored: each linear layer's backward is one GEMM against
// its weight. This is what soft prompts are trained with.
import { ValidationError } from '../errors/index.js';
import type { LlamaModel } from './llama.js';
import { ropeAngles } from './rope.js';
import { allocateTrainingActivations, type TrainingActivations } from './training-activations.js';

/** A batch for loss and gradients. */
export interface LossInput {
  batch: number; // B
  time: number; // T
  embeddings: Float32Array; // (B, T, C) right-padded input embeddings
  /** (B, T): the token position t should predict next (the label at t + 1), or -1 to ignore. */
  targets: Int32Array;
}

/** The mean loss over all targeted positions, per-position losses, and d loss / d embeddings. */
export interface LossGradients {
  loss: number;
  count: number;
  losses: Float32Array; // (B, T), 0 where ignored
  dembeddings: Float32Array; // (B, T, C)
}

const cached = new WeakMap<LlamaModel, TrainingActivations>();

function activationsFor(model: LlamaModel, B: number, T: number): TrainingActivations {
  let act = cached.get(model);
  if (!act || act.batch !== B || act.time !== T) {
    act = allocateTrainingActivations(model.config, B, T);
    cached.set(model, act);
  }
  return act;
}

/** Forward with kept activations, token-mean cross-entropy, and backward to the input embeddings. */
export function inputGradients(model: LlamaModel, input: LossInput): LossGradients {
  const { batch: B, time: T, embeddings, targets } = input;
  const { config, weights, kernels } = model;
  const {
    hiddenSize: C,
    heads: H,
    kvHeads: KVH,
    headDim: hd,
    intermediateSize: I,
    vocabularySize: V,
    rmsNormEps: eps,
  } = config;
  const N = B * T;
  if (embeddings.length < N * C || targets.length < N) {
    throw new ValidationError(
      `embeddings hold ${embeddings.length} and targets ${targets.length} values for a ${B} x ${T} batch`,
      { code: 'FORWARD_INPUT', hint: 'embeddings is (batch, time, hidden size), targets (batch, time).' },
    );
  }
  if (T > config.contextLength) {
    throw new ValidationError(`sequences of ${T} positions exceed the context of ${config.contextLength}`, {
      code: 'CONTEXT_OVERFLOW',
      hint: 'Shorten the examples or the prompt.',
    });
  }
  const act = activationsFor(model, B, T);
  const interleaved = config.ropeStyle === 'interleaved';
  const window = config.slidingWindow ?? 0;
  for (let i = 0; i < N; i++) act.positions[i] = i % T;
  ropeAngles(act.cosines, act.sines, act.positions, model.inverseFrequencies, N);

  // forward, keeping what the backward pass needs
  act.layers[0].input.set(embeddings.subarray(0, N * C));
  for (let l = 0; l < config.layers; l++) {
    const w = weights.layers[l];
    const a = act.layers[l];
    kernels.rmsnormForward(a.normed1, a.rstd1, a.input, w.attentionNorm, N, C, eps);
    kernels.matmulForward(a.query, a.normed1, w.query, w.queryBias, N, C, H * hd);
    kernels.matmulForward(a.key, a.normed1, w.key, w.keyBias, N, C, KVH * hd);
    kernels.matmulForward(a.value, a.normed1, w.value, w.valueBias, N, C, KVH * hd);
    kernels.ropeForward(a.query, a.query, act.cosines, act.sines, N, H, hd, interleaved);
    kernels.ropeForward(a.key, a.key, act.cosines, act.sines, N, KVH, hd, interleaved);
    kernels.attentionForward(
      a.attention,
      a.probabilities,
      a.query,
      a.key,
      a.value,
      null,
      null,
      B,
      T,
      T,
      H,
      KVH,
      hd,
      window,
    );
    kernels.matmulForward(act.scratch, a.attention, w.attentionOutput, null, N, H * hd, C);
    kernels.addForward(a.middle, a.input, act.scratch, N * C);
    kernels.rmsnormForward(a.normed2, a.rstd2, a.middle, w.mlpNorm, N, C, eps);
    kernels.matmulForward(a.gate, a.normed2, w.gate, null, N, C, I);
    kernels.matmulForward(a.up, a.normed2, w.up, null, N, C, I);
    kernels.swigluForward(a.hidden, a.gate, a.up, N * I);
    kernels.matmulForward(act.scratch, a.hidden, w.down, null, N, I, C);
    kernels.addForward(
      l + 1 < config.layers ? act.layers[l + 1].input : act.output,
      a.middle,
      act.scratch,
      N * C,
    );
  }
  kernels.rmsnormForward(act.finalNormed, act.finalRstd, act.output, weights.finalNorm, N, C, eps);
  kernels.matmulForward(act.logits, act.finalNormed, weights.classifier, null, N, C, V);
  kernels.crossEntropyForward(act.losses, act.logits, targets, N, V);
  let count = 0;
  let total = 0;
  for (let i = 0; i < N; i++) {
    if (targets[i] >= 0) {
      count++;
      total += act.losses[i];
    }
  }
  if (count === 0)
    throw new ValidationError('no position has a target', {
      code: 'LOSS_NO_TARGETS',
      hint: 'Mark at least one target token.',
    });

  // backward, the mirror of the forward
  for (let i = 0; i < N; i++) act.dlosses[i] = targets[i] >= 0 ? 1 / count : 0;
  act.dlogits.fill(0);
  kernels.crossEntropyBackward(act.dlogits, act.dlosses, act.logits, targets, N, V);
  act.dnormed.fill(0);
  kernels.matmulBackward(act.dnormed, act.dlogits, weights.classifier, N, C, V);
  act.dresidual.fill(0);
  kernels.rmsnormBackward(act.dresidual, act.dnormed, act.output, weights.finalNorm, act.finalRstd, N, C);
  for (let l = config.layers - 1; l >= 0; l--) {
    const w = weights.layers[l];
    const a = act.layers[l];
    // MLP block: output = middle + down(swiglu(gate(normed2), up(normed2)))
    act.dmiddle.set(act.dresidual);
    act.dhidden.fill(0);
    kernels.matmulBackward(act.dhidden, act.dresidual, w.down, N, I, C);
    act.dgate.fill(0);
    act.dup.fill(0);
    kernels.swigluBackward(act.dgate, act.dup, act.dhidden, a.gate, a.up, N * I);
    act.dnormed.fill(0);
    kernels.matmulBackward(act.dnormed, act.dgate, w.gate, N, C, I);
    kernels.matmulBackward(act.dnormed, act.dup, w.up, N, C, I);
    kernels.rmsnormBackward(act.dmiddle, act.dnormed, a.middle, w.mlpNorm, a.rstd2, N, C);
    // attention block: middle = input + output(attention(rope(q), rope(k), v))
    act.dresidual.set(act.dmiddle);
    act.dattention.fill(0);
    kernels.matmulBackward(act.dattention, act.dmiddle, w.attentionOutput, N, H * hd, C);
    act.dquery.fill(0);
    act.dkey.fill(0);
    act.dvalue.fill(0);
    kernels.attentionBackward(
      act.dquery,
      act.dkey,
      act.dvalue,
      act.dattention,
      a.probabilities,
      a.query,
      a.key,
      a.value,
      B,
      T,
      H,
      KVH,
      hd,
    );
    kernels.ropeBackward(act.dquery, act.dquery, act.cosines, act.sines, N, H, hd, interleaved);
    kernels.ropeBackward(act.dkey, act.dkey, act.cosines, act.sines, N, KVH, hd, interleaved);
    act.dnormed.fill(0);
    kernels.matmulBackward(act.dnormed, act.dquery, w.query, N, C, H * hd);
    kernels.matmulBackward(act.dnormed, act.dkey, w.key, N, C, KVH * hd);
    kernels.matmulBackward(act.dnormed, act.dvalue, w.value, N, C, KVH * hd);
    kernels.rmsnormBackward(act.dresidual, act.dnormed, a.input, w.attentionNorm, a.rstd1, N, C);
  }
  return {
    loss: total / count,
    count,
    losses: act.losses.slice(0, N),
    dembeddings: act.dresidual.slice(0, N * C),
  };
}
