// The Llama-family decoder (Llama 1-3, Mistral, Qwen2, SmolLM, TinyLlama): forward pass over a
// batch of token ids or input embeddings, right-padded, with an optional KV cache. It does not
// load files, tokenize or sample; see weights/, tokenizers/ and generate.ts.
import { ValidationError } from '../errors/index.js';
import { allocateActivations, type Activations } from './activations.js';
import { validateConfig, type ModelConfig } from './config.js';
import type { Kernels } from './kernels/index.js';
import { KVCache } from './kv-cache.js';
import { inverseFrequencies, ropeAngles } from './rope.js';
import type { ModelWeights } from './weights/types.js';

/** What a forward pass consumes. Exactly one of `tokens` and `embeddings` is given. */
export interface ForwardInput {
  batch: number; // B
  time: number; // T
  tokens?: Int32Array; // (B, T)
  embeddings?: Float32Array; // (B, T, C), e.g. a soft prompt followed by token embeddings
  /** Valid (non-padding) tokens per row; rows are right-padded. Default: every row has T. */
  lengths?: Int32Array; // (B)
  /** Past positions are read from here and the new keys/values appended; rows advance by `lengths`. */
  cache?: KVCache;
  /** Which logits to return: every position (B, T, V), each row's last valid position (B, V), or none. */
  logits?: 'all' | 'last' | 'none';
}

/** A Llama-family decoder bound to its weights and the kernels it runs on. */
export class LlamaModel {
  readonly inverseFrequencies: Float32Array;
  private activations: Activations | undefined;

  constructor(
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
    readonly kernels: Kernels,
  ) {
    validateConfig(config, 'model config');
    this.inverseFrequencies = inverseFrequencies(config);
  }

  /** A KV cache for `batch` rows of up to `capacity` positions (default: the context length). */
  createCache(batch: number, capacity = this.config.contextLength): KVCache {
    return new KVCache(this.config, batch, capacity);
  }

  /** Runs the decoder; returns logits as requested (a fresh array; activations are reused between calls). */
  forward(input: ForwardInput): Float32Array {
    const { batch: B, time: T, cache } = input;
    const { config, weights, kernels } = this;
    const { hiddenSize: C, heads: H, kvHeads: KVH, headDim: hd, intermediateSize: I } = config;
    const N = B * T;
    const queryWidth = H * hd;
    const kvWidth = KVH * hd;
    const lengths = input.lengths ?? new Int32Array(B).fill(T);
    this.checkInput(input, lengths);
    const act = this.activationsFor(B, T);

    const past = cache ? cache.lengths : null;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) act.positions[b * T + t] = (past ? past[b] : 0) + t;
    // the rotation angles depend only on positions: computed once, used by every layer
    ropeAngles(act.cosines, act.sines, act.positions, this.inverseFrequencies, N);

    if (input.tokens) kernels.embeddingForward(act.residual, input.tokens, weights.embedding, N, C);
    else act.residual.set(input.embeddings!.subarray(0, N * C));

    for (let l = 0; l < config.layers; l++) {
      const w = weights.layers[l];
      // attention block
      kernels.rmsnormForward(act.normed, act.rstd, act.residual, w.attentionNorm, N, C, config.rmsNormEps);
      kernels.matmulForward(act.query, act.normed, w.query, w.queryBias, N, C, queryWidth);
      kernels.matmulForward(act.key, act.normed, w.key, w.keyBias, N, C, kvWidth);
      kernels.matmulForward(act.value, act.normed, w.value, w.valueBias, N, C, kvWidth);
      const interleaved = config.ropeStyle === 'interleaved';
      kernels.ropeForward(act.query, act.query, act.cosines, act.sines, N, H, hd, interleaved);
      kernels.ropeForward(act.key, act.key, act.cosines, act.sines, N, KVH, hd, interleaved);
      let keys = act.key;
      let values = act.value;
      let slots = T;
      if (cache) {
        const S = cache.capacity;
        for (let b = 0; b < B; b++) {
          const from = b * T * kvWidth;
          const to = (b * S + cache.lengths[b]) * kvWidth;
          cache.keys[l].set(act.key.subarray(from, from + T * kvWidth), to);
          cache.values[l].set(act.value.subarray(from, from + T * kvWidth), to);
        }
        keys = cache.keys[l];
        values = cache.values[l];
        slots = S;
      }
      kernels.attentionForward(
        act.attention,
        null,
        act.query,
        keys,
        values,
        past,
        null,
        B,
        T,
        slots,
        H,
        KVH,
        hd,
        config.slidingWindow ?? 0,
      );
      kernels.matmulForward(act.projected, act.attention, w.attentionOutput, null, N, queryWidth, C);
      kernels.addForward(act.residual, act.residual, act.projected, N * C);
      // MLP block
      kernels.rmsnormForward(act.normed, act.rstd, act.residual, w.mlpNorm, N, C, config.rmsNormEps);
      kernels.matmulForward(act.gate, act.normed, w.gate, null, N, C, I);
      kernels.matmulForward(act.up, act.normed, w.up, null, N, C, I);
      kernels.swigluForward(act.hidden, act.gate, act.up, N * I);
      kernels.matmulForward(act.projected, act.hidden, w.down, null, N, I, C);
      kernels.addForward(act.residual, act.residual, act.projected, N * C);
    }
    if (cache) for (let b = 0; b < B; b++) cache.lengths[b] += lengths[b];
    return this.classify(act, input.logits ?? 'all', lengths);
  }

  private classify(act: Activations, which: 'all' | 'last' | 'none', lengths: Int32Array): Float32Array {
    const { batch: B, time: T } = act;
    const { hiddenSize: C, vocabularySize: V } = this.config;
    if (which === 'none') return new Float32Array(0);
    let rows = act.residual;
    let count = B * T;
    if (which === 'last') {
      // gather each row's last valid position, then normalize and classify only those
      rows = act.projected.subarray(0, B * C);
      for (let b = 0; b < B; b++) {
        const from = (b * T + lengths[b] - 1) * C;
        rows.set(act.residual.subarray(from, from + C), b * C);
      }
      count = B;
    }
    const normed = act.normed.subarray(0, count * C);
    this.kernels.rmsnormForward(normed, null, rows, this.weights.finalNorm, count, C, this.config.rmsNormEps);
    const logits = new Float32Array(count * V);
    this.kernels.matmulForward(logits, normed, this.weights.classifier, null, count, C, V);
    return logits;
  }

  private activationsFor(B: number, T: number): Activations {
    if (!this.activations || this.activations.batch !== B || this.activations.time !== T) {
      this.activations = allocateActivations(this.config, B, T);
    }
    return this.activations;
  }

  private checkInput(input: ForwardInput, lengths: Int32Array): void {
    const { batch: B, time: T, cache } = input;
    const fail = (message: string, hint: string) => {
      throw new ValidationError(message, { code: 'FORWARD_INPUT', hint });
    };
    if (!Number.isInteger(B) || B <= 0 || !Number.isInteger(T) || T <= 0)
      fail(`batch ${B} x time ${T} is empty or fractional`, 'Pass at least one token per row.');
    if (!input.tokens === !input.embeddings)
      fail(
        'forward needs exactly one of tokens and embeddings',
        'Pass token ids, or input embeddings for soft prompts.',
      );
    if (input.tokens && input.tokens.length < B * T)
      fail(`tokens hold ${input.tokens.length} ids, expected ${B * T}`, 'tokens is (batch, time) row-major.');
    if (input.embeddings && input.embeddings.length < B * T * this.config.hiddenSize) {
      fail(
        `embeddings hold ${input.embeddings.length} values, expected ${B * T * this.config.hiddenSize}`,
        'embeddings is (batch, time, hidden size) row-major.',
      );
    }
    for (let b = 0; b < B; b++) {
      if (lengths[b] < 1 || lengths[b] > T)
        fail(
          `row ${b} has length ${lengths[b]}, expected 1..${T}`,
          'Each row needs at least one real token.',
        );
      const end = (cache ? cache.lengths[b] : 0) + T;
      const limit = cache ? Math.min(cache.capacity, this.config.contextLength) : this.config.contextLength;
      if (end > limit) {
        throw new ValidationError(
          `row ${b} reaches position ${end}, beyond the ${cache ? 'cache/' : ''}context limit of ${limit}`,
          {
            code: 'CONTEXT_OVERFLOW',
            hint: 'Shorten the prompt or lower the number of tokens to generate.',
          },
        );
      }
    }
    // a cache may hold more rows than the input (a decoding batch with free rows): rows 0..B-1 are used
    if (cache && cache.batch < B)
      fail(
        `the cache has ${cache.batch} rows, the input ${B}`,
        'Create the cache with at least that many rows.',
      );
  }
}
