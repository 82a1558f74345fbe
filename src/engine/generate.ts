// Text generation on a LlamaModel: prefill with a KV cache, then one token per step for every row
// of a right-padded batch, with sampling, stop tokens and strings, and streaming of text deltas.
// Every row may bring its own options (sampling, length, stop strings, seed and a cached prefix such
// as its own soft prompt), so requests for different tasks share one forward pass per step.
// Prompts are token ids or input embeddings; tokenizing text is the caller's (see session.ts).
import { DecodingBatch } from './decoding-batch.js';
import type { KVCache } from './kv-cache.js';
import type { LlamaModel } from './llama.js';
import type { SamplingOptions } from './sampling.js';
import type { Tokenizer } from './tokenizers/types.js';

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
}

/** Why a row stopped: its token budget, an end-of-sequence token, or a stop string. */
export type FinishReason = 'length' | 'eos' | 'stop';

/** One row's result. */
export interface Generation {
  tokens: number[];
  text: string;
  finishReason: FinishReason;
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

/**
 * Generates continuations for a batch of prompts at once, yielding text deltas as they become safe
 * to show. Rows are right-padded; every row's result equals generating it alone. Refuses the whole
 * batch (before yielding anything) when any prompt cannot run.
 */
export async function* generateStream(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompts: PromptInput[],
  options: GenerationOptions = {},
): AsyncGenerator<GenerationEvent> {
  if (prompts.length === 0) return;
  const batch = new DecodingBatch(model, tokenizer, prompts.length);
  const requests = prompts.map((prompt, row) => ({
    id: row,
    prompt: { ...prompt, options: { ...options, ...prompt.options } },
  }));
  requests.forEach((request) => batch.check(request.prompt, request.id));
  yield* batch.admit(requests);
  while (batch.size > 0) {
    yield* batch.sample();
    if (batch.size === 0) break;
    // let other work (I/O, other requests) run between steps
    await new Promise((resolve) => setImmediate(resolve));
    batch.advance();
  }
}

/** Generates and collects every row's result. */
export async function generate(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompts: PromptInput[],
  options: GenerationOptions = {},
): Promise<Generation[]> {
  const results: Generation[] = new Array(prompts.length);
  for await (const event of generateStream(model, tokenizer, prompts, options))
    if ('done' in event) results[event.row] = event.done;
  return results;
}
