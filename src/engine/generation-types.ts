// The types of a generation request and its results, shared by generate.ts and the decoding batch
// it runs on (kept apart so neither imports the other's module for them). Types only.
import type { KVCache } from './kv-cache.js';
import type { ModelAdapter } from './model-adapter.js';
import type { SamplingOptions } from './sampling.js';
import type { TokenConstraint } from './token-constraint.js';

/** Options for one generation request. */
export interface GenerationOptions extends SamplingOptions {
  /** Most new tokens per row (default 128). */
  maxTokens?: number;
  /** Text that ends generation; it is not included in the output. */
  stop?: string[];
  /** Seed of the sampler's random source (default 0), so every run is reproducible. */
  seed?: number;
  /** Stop at the model's end-of-sequence tokens (default true). */
  stopAtEos?: boolean;
  /**
   * A cache holding a shared prefix in row 0 (e.g. BOS and a soft prompt, computed once): every row
   * continues from it, and prompts hold only the tokens after it.
   */
  prefix?: KVCache;
  /**
   * The adapter this row runs with (its prefix, if any, computed with the same adapter): LoRA, or a
   * key/value prefix, whose placeholders `prefix` must hold (ADAPTER_PREFIX_UNPLACED otherwise).
   */
  adapter?: ModelAdapter;
  /**
   * Only tokens that keep the output valid under this constraint are sampled (constrained decoding);
   * the row ends with finish reason 'stop' once the constraint admits nothing more. Stop strings do
   * not apply under a constraint (they could cut a valid output short).
   */
  constraint?: TokenConstraint;
  /**
   * Stops the whole call when aborted (a row's own options cannot): it throws the signal's reason (an
   * `AbortError` unless the caller gave another) before the next step, nothing more is generated.
   */
  signal?: AbortSignal;
}

/** Why a row stopped: its token budget, an end-of-sequence token, or a stop string. */
export type FinishReason = 'length' | 'eos' | 'stop';

/** One row's result. */
export interface Generation {
  tokens: number[];
  text: string;
  finishReason: FinishReason;
  /**
   * How sure the model was of its first token: the log-probability margin between the two likeliest
   * candidates (at temperature 1, among those a constraint allows; the difference of their logits). A
   * label set decided whole (sequence-choice.ts): the likeliest label's log-likelihood over the
   * runner-up's. Undefined when no token was generated or only one was allowed.
   */
  margin?: number;
}

/**
 * A streaming event: new text for a row, or a row that finished (with the most rows it shared a forward
 * pass with).
 */
export type GenerationEvent =
  { row: number; token: number; delta: string } | { row: number; done: Generation; batchSize: number };

/** A prompt for one row: token ids, with optional input embeddings of the same length to use instead of them. */
export interface PromptInput {
  tokens: number[];
  /** (tokens.length, C) embeddings fed in place of the tokens' own (soft prompts). */
  embeddings?: Float32Array;
  /** This row's own options, over the shared ones (a mixed batch: each row its own prefix and sampling). */
  options?: GenerationOptions;
}
