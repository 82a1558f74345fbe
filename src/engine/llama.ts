// The Llama-family decoder (Llama 1-3, Mistral, Qwen2, SmolLM, TinyLlama) as a model object: checks a
// forward pass's input, runs the one forward pass (decoder.ts) over token ids or input embeddings,
// right-padded, with an optional KV cache, and returns the logits asked for. It does not load files,
// tokenize or sample; see weights/, tokenizers/ and generate.ts.
import { ValidationError } from '../errors/index.js';
import { allocateActivations, type Activations } from './activations.js';
import { validateConfig, type ModelConfig } from './config.js';
import { decoderForward, outputHeadForward, type DecoderModel } from './decoder.js';
import type { Kernels } from './kernels/index.js';
import { KVCache } from './kv-cache.js';
import { checkModelAdapterFits, type ModelAdapter } from './model-adapter.js';
import { inverseFrequencies } from './rope.js';
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
  /**
   * Which logits to return: every position (B, T, V), each row's last valid position (B, V), none, or
   * instead of logits the final-normed hidden states of every position (B, T, C), for embeddings.
   */
  logits?: 'all' | 'last' | 'none' | 'hidden';
  /** Each row's adapter (LoRA, or a key/value prefix after which the row starts), or null for the frozen model (B entries). */
  adapters?: readonly (ModelAdapter | null)[];
}

/** A Llama-family decoder bound to its weights and the kernels it runs on. */
export class LlamaModel implements DecoderModel {
  readonly inverseFrequencies: Float32Array;
  readonly localInverseFrequencies: Float32Array | null;
  private activations: Activations | undefined;

  constructor(
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
    readonly kernels: Kernels,
  ) {
    validateConfig(config, 'model config');
    this.inverseFrequencies = inverseFrequencies(config);
    this.localInverseFrequencies = inverseFrequencies(config, 'local');
  }

  /** A KV cache for `batch` rows of up to `capacity` positions (default: the context length). */
  createCache(batch: number, capacity = this.config.contextLength): KVCache {
    return new KVCache(this.config, batch, capacity);
  }

  /** Runs the decoder; returns logits as requested (a fresh array; activations are reused between calls). */
  forward(input: ForwardInput): Float32Array {
    const { batch: B, time: T, cache } = input;
    const lengths = input.lengths ?? new Int32Array(B).fill(T);
    this.checkInput(input, lengths);
    const act = this.activationsFor(B, T);
    const residual = decoderForward(this, act, input);
    if (cache) for (let b = 0; b < B; b++) cache.lengths[b] += lengths[b];
    return this.classify(act, residual, input.logits ?? 'all', lengths);
  }

  private classify(
    act: Activations,
    residual: Float32Array,
    which: 'all' | 'last' | 'none' | 'hidden',
    lengths: Int32Array,
  ): Float32Array {
    const { batch: B, time: T } = act;
    const { hiddenSize: C, vocabularySize: V } = this.config;
    if (which === 'none') return new Float32Array(0);
    if (which === 'hidden') {
      const hidden = new Float32Array(B * T * C); // (B, T, C): the classifier's input
      this.kernels.rmsnormForward(
        hidden,
        null,
        residual,
        this.weights.finalNorm,
        B * T,
        C,
        this.config.rmsNormEps,
      );
      return hidden;
    }
    const layer = act.layers[0];
    let rows = residual;
    let count = B * T;
    if (which === 'last') {
      // gather each row's last valid position, then normalize and classify only those
      rows = layer.projected.subarray(0, B * C);
      for (let b = 0; b < B; b++) {
        const from = (b * T + lengths[b] - 1) * C;
        rows.set(residual.subarray(from, from + C), b * C);
      }
      count = B;
    }
    const logits = new Float32Array(count * V);
    outputHeadForward(this, logits, layer.normed1.subarray(0, count * C), null, rows, count);
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
    if (input.adapters) {
      if (input.adapters.length !== B)
        fail(`${input.adapters.length} adapters for ${B} rows`, 'Give one adapter (or null) per row.');
      for (const adapter of new Set(input.adapters)) if (adapter) checkModelAdapterFits(adapter, this);
    }
    // a cache may hold more rows than the input (a decoding batch with free rows): rows 0..B-1 are used
    if (cache && cache.batch < B)
      fail(
        `the cache has ${cache.batch} rows, the input ${B}`,
        'Create the cache with at least that many rows.',
      );
  }
}
